import Crypto
public import PKI
public import Payload
public import X509

/// The registry's payload-signing key and its certificate chain (signer first, then its issuing CA).
///
/// The key stays behind the key store's ``KeyStoreSigner`` (encrypted at rest, or an HSM later); this type only
/// adapts its DER signatures to the raw `r‖s` COSE wants.
public struct PayloadSigner: Sendable {
    public let key: any KeyStoreSigner
    /// Signer certificate, then its issuers up to (not including) the root.
    public let chain: [Certificate]

    /// Pairs the key with its chain; refuses a chain whose first certificate is not the key's.
    public init(key: any KeyStoreSigner, chain: [Certificate]) throws {
        guard let leaf = chain.first, leaf.publicKey == key.publicKey else {
            throw PKIError(.mismatchedKey, "the payload-signer certificate is not for key '\(key.label)'")
        }
        self.key = key
        self.chain = chain
    }

    /// The COSE `kid`: the signer certificate's subject key identifier.
    public var keyID: [UInt8] {
        if let ski = try? chain[0].extensions.subjectKeyIdentifier { return Array(ski.keyIdentifier) }
        return Array(SHA256.hash(data: chain[0].derBytes))
    }

    var coseSigner: ClosureCOSESigner {
        let key = key
        return ClosureCOSESigner { toBeSigned in
            let der = try key.sign(toBeSigned)
            return Array(try P256.Signing.ECDSASignature(derRepresentation: der).rawRepresentation)
        }
    }

    /// Signs `payload` as the tagged COSE_Sign1 a device verifies.
    public func sign(_ payload: RegistryPayload) throws -> [UInt8] {
        try payload.signed(by: coseSigner, keyID: keyID, certificateChain: chain.map(\.derBytes))
    }
}
