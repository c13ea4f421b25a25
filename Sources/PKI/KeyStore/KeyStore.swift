import Foundation
import SwiftASN1
public import X509

/// Where the CA's private keys live.
///
/// The registry never sees private key bytes: it asks a key store to generate a key under a label and gets back a
/// ``KeyStoreSigner`` that signs and tells its public key. ``SoftwareKeyStore`` keeps keys encrypted on disk;
/// a PKCS#11 HSM can implement the same protocol (label = CKA_LABEL, signer = C_Sign) without changing any caller.
public protocol KeyStore: Sendable {
    /// Generates a new key pair under `label`; throws ``PKIError/Code/keyExists`` rather than replace a key.
    func generateKey(label: String, algorithm: KeyAlgorithm) throws -> any KeyStoreSigner
    /// The signer for an existing key; throws ``PKIError/Code/keyNotFound`` when there is none.
    func signer(label: String) throws -> any KeyStoreSigner
    /// The labels of all keys, sorted.
    func labels() throws -> [String]
    /// Deletes the key under `label` for good; throws ``PKIError/Code/keyNotFound`` when there is none.
    func deleteKey(label: String) throws
}

/// A handle on one private key in a ``KeyStore``: it signs, it never hands out the private key.
public protocol KeyStoreSigner: Sendable {
    /// The label the key is stored under.
    var label: String { get }
    /// The key's algorithm (curve).
    var algorithm: KeyAlgorithm { get }
    /// The public half, for certificates and for checking that a certificate belongs to this key.
    var publicKey: Certificate.PublicKey { get }
    /// Signs `message` (the signer hashes it with the algorithm's hash) and returns a DER `ECDSA-Sig-Value`.
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// The key types a CA key can have (an open set: an HSM may add more later).
public struct KeyAlgorithm: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// ECDSA on P-256 with SHA-256 (what devices and the POC use; DNSSEC algorithm 13's curve).
    public static let ecdsaP256 = KeyAlgorithm(rawValue: "ecdsa-p256")
    /// ECDSA on P-384 with SHA-384, for operators who want a longer-lived root.
    public static let ecdsaP384 = KeyAlgorithm(rawValue: "ecdsa-p384")

    /// The X.509 signature algorithm a key of this type signs with.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        self == .ecdsaP384 ? .ecdsaWithSHA384 : .ecdsaWithSHA256
    }

    public var description: String { rawValue }
}

extension KeyStoreSigner {
    /// This signer as a swift-certificates private key, so `Certificate(…issuerPrivateKey:)` can use it.
    var certificatePrivateKey: Certificate.PrivateKey { Certificate.PrivateKey(SignerPrivateKey(signer: self)) }

    /// Signs and wraps the result as an X.509 signature value.
    func certificateSignature(_ message: [UInt8]) throws -> Certificate.Signature {
        let der = try sign(message)
        do {
            return try Certificate.Signature(
                signatureAlgorithm: algorithm.signatureAlgorithm,
                signatureBytes: ASN1BitString(bytes: der[...])
            )
        } catch {
            throw PKIError(.signingFailed, "key '\(label)' produced a signature that is not a DER ECDSA-Sig-Value")
        }
    }
}

/// Adapts a ``KeyStoreSigner`` to swift-certificates' `CustomPrivateKey`; it cannot be exported.
struct SignerPrivateKey: CustomPrivateKey {
    let signer: any KeyStoreSigner

    var publicKey: Certificate.PublicKey { signer.publicKey }
    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { signer.algorithm.signatureAlgorithm }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [signer.algorithm.signatureAlgorithm] }

    func signSynchronously(
        bytes: some DataProtocol,
        signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        guard signatureAlgorithm == defaultSignatureAlgorithm else {
            throw PKIError.invalid(
                "key '\(signer.label)' signs with \(defaultSignatureAlgorithm), not \(signatureAlgorithm)")
        }
        return try signer.certificateSignature(Array(bytes))
    }

    static var defaultPEMDiscriminator: String { "PRIVATE KEY" }

    func serialize(into coder: inout DER.Serializer) throws {
        throw PKIError.invalid("key '\(signer.label)' lives in a key store and cannot be exported")
    }

    static func == (lhs: SignerPrivateKey, rhs: SignerPrivateKey) -> Bool {
        lhs.signer.label == rhs.signer.label && lhs.signer.publicKey == rhs.signer.publicKey
    }
    func hash(into hasher: inout Hasher) {
        hasher.combine(signer.label)
        hasher.combine(signer.publicKey)
    }
    var description: String { "SignerPrivateKey(label: \(signer.label))" }
}
