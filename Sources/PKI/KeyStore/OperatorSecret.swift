public import Crypto
import CryptoExtras
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The secret the operator holds that unlocks a ``SoftwareKeyStore``.
///
/// Either a key file of 32 random bytes (created mode 0600 on first use; keep it off the data disk's backups) or a
/// passphrase (stretched with PBKDF2-SHA256, 210 000 rounds, salted per key file). Each key file's AES-256-GCM key
/// is then derived from it with HKDF-SHA256 and the file's own salt. `description` never shows the secret.
public struct OperatorSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    enum Kind: Sendable {
        case keyFile([UInt8])
        case passphrase([UInt8])
    }
    let kind: Kind

    /// PBKDF2 rounds for passphrases: the minimum swift-crypto allows, ~0.1 s on one core.
    static let passphraseRounds = 210_000

    /// Reads the 32-byte key file at `url`, creating it (mode 0600, random bytes) when `create` is true and it is
    /// missing. Refuses a file readable by group or others, or of the wrong size, saying how to fix it.
    public static func keyFile(at url: URL, createIfMissing create: Bool = true) throws -> OperatorSecret {
        let path = url.path
        if !FileManager.default.fileExists(atPath: path) {
            guard create else {
                throw PKIError(
                    .keyStoreIO, "operator key file \(path) does not exist; create it or pass the right path")
            }
            var bytes = [UInt8](repeating: 0, count: 32)
            var rng = SystemRandomNumberGenerator()
            for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &rng) }
            try FileIO.createExclusive(path: path, contents: bytes, mode: 0o600)
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw PKIError(
                .keyStoreIO,
                "operator key file \(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 on it"
            )
        }
        let bytes = try FileIO.read(path: path)
        guard bytes.count == 32 else {
            throw PKIError(.keyStoreIO, "operator key file \(path) must hold exactly 32 bytes, it holds \(bytes.count)")
        }
        return OperatorSecret(kind: .keyFile(bytes))
    }

    /// A passphrase typed by the operator; must be at least 12 characters.
    public static func passphrase(_ passphrase: String) throws -> OperatorSecret {
        guard passphrase.count >= 12 else {
            throw PKIError.invalid("the key-store passphrase must have at least 12 characters")
        }
        return OperatorSecret(kind: .passphrase(Array(passphrase.utf8)))
    }

    /// A key for one purpose other than the key store (e.g. `"webhooks"`, the root of every tenant's webhook HMAC
    /// key), so such keys need no storage of their own and change only with the operator secret.
    public func derivedKey(purpose: String) throws -> SymmetricKey {
        try fileKey(salt: Array("iotreg purpose \(purpose)".utf8))
    }

    /// The AES-256-GCM key for one key file, from this secret and the file's salt.
    func fileKey(salt: [UInt8]) throws -> SymmetricKey {
        let ikm: SymmetricKey
        switch kind {
        case .keyFile(let bytes):
            ikm = SymmetricKey(data: bytes)
        case .passphrase(let bytes):
            ikm = try KDF.Insecure.PBKDF2.deriveKey(
                from: bytes, salt: salt, using: .sha256, outputByteCount: 32, rounds: Self.passphraseRounds
            )
        }
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: ikm, salt: salt, info: Array("iotreg key store v1".utf8), outputByteCount: 32
        )
    }

    public var description: String {
        switch kind {
        case .keyFile: return "OperatorSecret(key file, redacted)"
        case .passphrase: return "OperatorSecret(passphrase, redacted)"
        }
    }
    public var debugDescription: String { description }
}

/// Small POSIX helpers: exclusive creation with an exact mode, whole-file reads.
enum FileIO {
    static func createExclusive(path: String, contents: [UInt8], mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            if errno == EEXIST { throw PKIError(.keyExists, "\(path) exists already; it is never overwritten") }
            throw PKIError(.keyStoreIO, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        _ = fchmod(fd, mode)
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else {
                unlink(path)
                throw PKIError(.keyStoreIO, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw PKIError(.keyStoreIO, "cannot sync \(path)") }
    }

    static func read(path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError(.keyStoreIO, "cannot read \(path); check it exists and the registry may read it")
        }
        return Array(data)
    }
}
