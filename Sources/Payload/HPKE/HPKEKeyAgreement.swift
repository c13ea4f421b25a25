public import Crypto

/// The recipient's half of DHKEM(P-256): an ECDH with the recipient's private key, wherever that key lives.
///
/// A device's key-agreement key lives inside its eSIM (IoT SAFE COMPUTE DH) and is never exported, so HPKE's open
/// side asks this abstraction for the raw Diffie-Hellman result instead of holding a private key.
public protocol HPKEKeyAgreement {
    /// The recipient's public key (it is part of the KEM context, RFC 9180 §4.1).
    var publicKey: P256.KeyAgreement.PublicKey { get throws }
    /// ECDH with `peerPublicKey`: the 32-byte x-coordinate of the shared point (SEC 1 §3.3.1).
    func sharedSecret(with peerPublicKey: P256.KeyAgreement.PublicKey) throws -> [UInt8]
}

/// An ``HPKEKeyAgreement`` over an in-memory P-256 private key (registry-side tests and tools).
public struct P256HPKEKeyAgreement: HPKEKeyAgreement, Sendable {
    private let privateKey: P256.KeyAgreement.PrivateKey

    /// Wraps a P-256 key-agreement private key.
    public init(privateKey: P256.KeyAgreement.PrivateKey) { self.privateKey = privateKey }

    public var publicKey: P256.KeyAgreement.PublicKey { privateKey.publicKey }

    public func sharedSecret(with peerPublicKey: P256.KeyAgreement.PublicKey) throws -> [UInt8] {
        do {
            let secret = try privateKey.sharedSecretFromKeyAgreement(with: peerPublicKey)
            return secret.withUnsafeBytes { Array($0) }
        } catch {
            throw PayloadError(.keyAgreementFailed, "P-256 ECDH failed: \(error)")
        }
    }
}
