import Crypto
import X509

/// A private key held in process memory, used by ``SoftwareKeyStore`` and ``InMemoryKeyStore``.
///
/// Its `description` names the label and algorithm only, so logging a signer never leaks the key.
struct SoftwareSigner: KeyStoreSigner, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    enum Key: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let label: String
    let key: Key

    static func generate(label: String, algorithm: KeyAlgorithm) throws -> SoftwareSigner {
        switch algorithm {
        case .ecdsaP256: return SoftwareSigner(label: label, key: .p256(P256.Signing.PrivateKey()))
        case .ecdsaP384: return SoftwareSigner(label: label, key: .p384(P384.Signing.PrivateKey()))
        default:
            throw PKIError(
                .unsupportedKey, "key algorithm '\(algorithm)' is not supported; use ecdsa-p256 or ecdsa-p384")
        }
    }

    /// Rebuilds a signer from the raw scalar kept in an encrypted key file.
    init(label: String, algorithm: KeyAlgorithm, rawScalar: [UInt8]) throws {
        self.label = label
        do {
            switch algorithm {
            case .ecdsaP256: key = .p256(try P256.Signing.PrivateKey(rawRepresentation: rawScalar))
            case .ecdsaP384: key = .p384(try P384.Signing.PrivateKey(rawRepresentation: rawScalar))
            default: throw PKIError(.unsupportedKey, "key '\(label)' has unknown algorithm '\(algorithm)'")
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.wrongSecretOrTampered, "key '\(label)' decrypted to an invalid \(algorithm) scalar")
        }
    }

    init(label: String, key: Key) {
        self.label = label
        self.key = key
    }

    /// The private scalar, only for the key store that encrypts it to disk.
    var rawScalar: [UInt8] {
        switch key {
        case .p256(let k): return Array(k.rawRepresentation)
        case .p384(let k): return Array(k.rawRepresentation)
        }
    }

    var algorithm: KeyAlgorithm {
        switch key {
        case .p256: return .ecdsaP256
        case .p384: return .ecdsaP384
        }
    }

    var publicKey: Certificate.PublicKey {
        switch key {
        case .p256(let k): return Certificate.PublicKey(k.publicKey)
        case .p384(let k): return Certificate.PublicKey(k.publicKey)
        }
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        do {
            switch key {
            case .p256(let k): return Array(try k.signature(for: message).derRepresentation)
            case .p384(let k): return Array(try k.signature(for: message).derRepresentation)
            }
        } catch {
            throw PKIError(.signingFailed, "key '\(label)' failed to sign: \(error)")
        }
    }

    var description: String { "SoftwareSigner(label: \(label), algorithm: \(algorithm))" }
    var debugDescription: String { description }
    /// `dump()` and debuggers see the label and algorithm, never the key.
    var customMirror: Mirror { Mirror(self, children: ["label": label, "algorithm": algorithm]) }
}
