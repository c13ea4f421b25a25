import Crypto
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CA keys in files, encrypted at rest: the default key store when there is no HSM.
///
/// One file per key, `<label>.key`, mode 0600, in a directory of mode 0700. A wrong secret or a changed byte
/// gives ``PKIError/Code/wrongSecretOrTampered``; the plaintext key never touches the disk.
///
/// ```swift
/// let store = try SoftwareKeyStore(directory: dataDir.appending(path: "keys"),
///                                  secret: .keyFile(at: dataDir.appending(path: "keystore.secret")))
/// let root = try store.generateKey(label: "root-2026", algorithm: .ecdsaP256)
/// ```
// Key file layout:
//   magic        "IOTREGKEY1"                           10 bytes
//   algLength    UInt8, then the algorithm name (UTF-8, e.g. "ecdsa-p256")
//   salt         32 random bytes (PBKDF2 salt for passphrases, HKDF salt always)
//   sealed       AES-256-GCM combined form: nonce (12) | ciphertext (raw private scalar) | tag (16)
// AAD = magic | algLength | algorithm | label (UTF-8): a file renamed to another label does not open.
public struct SoftwareKeyStore: KeyStore, CustomStringConvertible {
    /// The folder that holds the key files.
    public let directory: URL
    private let secret: OperatorSecret

    static let magic = Array("IOTREGKEY1".utf8)

    /// Opens (creating if needed, mode 0700) the key folder `directory`, unlocked with `secret`.
    public init(directory: URL, secret: OperatorSecret) throws {
        self.directory = directory
        self.secret = secret
        let path = directory.path
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw PKIError(.keyStoreIO, "cannot create key folder \(path): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw PKIError(.keyStoreIO, "\(path) is a file, not a key folder; pass a folder path")
        }
        guard chmod(path, 0o700) == 0 else {
            throw PKIError(
                .keyStoreIO, "cannot set mode 0700 on key folder \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Labels become file names, so only `[A-Za-z0-9._-]`, 1-64 characters, not starting with a dot.
    static func checkLabel(_ label: String) throws {
        let allowed = label.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F
                || c == 0x2D
        }
        guard allowed, (1...64).contains(label.utf8.count), !label.hasPrefix(".") else {
            throw PKIError.invalid(
                "key label '\(label)' is not allowed; use 1-64 of A-Z a-z 0-9 . _ - and do not start with a dot"
            )
        }
    }

    private func path(for label: String) -> String { directory.appendingPathComponent("\(label).key").path }

    public func generateKey(label: String, algorithm: KeyAlgorithm) throws -> any KeyStoreSigner {
        try Self.checkLabel(label)
        let signer = try SoftwareSigner.generate(label: label, algorithm: algorithm)
        var salt = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: .min ... .max, using: &rng) }
        let header = Self.header(algorithm: algorithm)
        let key = try secret.fileKey(salt: salt)
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(signer.rawScalar, using: key, authenticating: header + Array(label.utf8))
        } catch {
            throw PKIError(.keyStoreIO, "cannot encrypt key '\(label)': \(error)")
        }
        guard let combined = sealed.combined else { throw PKIError(.keyStoreIO, "AES-GCM gave no combined form") }
        try FileIO.createExclusive(path: path(for: label), contents: header + salt + Array(combined), mode: 0o600)
        return signer
    }

    public func signer(label: String) throws -> any KeyStoreSigner {
        try Self.checkLabel(label)
        let path = path(for: label)
        guard FileManager.default.fileExists(atPath: path) else {
            throw PKIError(.keyNotFound, "no key labelled '\(label)' in \(directory.path)")
        }
        let bytes = try FileIO.read(path: path)
        let tampered = PKIError(
            .wrongSecretOrTampered,
            "key file \(path) does not decrypt: the operator secret is wrong or the file was altered; "
                + "use the secret the key store was created with, or restore the file from a backup"
        )
        guard bytes.count > Self.magic.count + 1, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw tampered
        }
        let algLength = Int(bytes[Self.magic.count])
        let algStart = Self.magic.count + 1
        guard bytes.count >= algStart + algLength + 32 + 12 + 16 else { throw tampered }
        let algorithm = KeyAlgorithm(rawValue: String(decoding: bytes[algStart..<algStart + algLength], as: UTF8.self))
        let header = Array(bytes[..<(algStart + algLength)])
        let salt = Array(bytes[(algStart + algLength)..<(algStart + algLength + 32)])
        let combined = bytes[(algStart + algLength + 32)...]
        let scalar: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            scalar = Array(
                try AES.GCM.open(box, using: try secret.fileKey(salt: salt), authenticating: header + Array(label.utf8))
            )
        } catch {
            throw tampered
        }
        return try SoftwareSigner(label: label, algorithm: algorithm, rawScalar: scalar)
    }

    public func labels() throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PKIError(.keyStoreIO, "cannot list key folder \(directory.path): \(error.localizedDescription)")
        }
        return names.filter { $0.hasSuffix(".key") && !$0.hasPrefix(".") }.map { String($0.dropLast(4)) }.sorted()
    }

    public func deleteKey(label: String) throws {
        try Self.checkLabel(label)
        let path = path(for: label)
        guard unlink(path) == 0 else {
            if errno == ENOENT { throw PKIError(.keyNotFound, "no key labelled '\(label)' in \(directory.path)") }
            throw PKIError(.keyStoreIO, "cannot delete \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func header(algorithm: KeyAlgorithm) -> [UInt8] {
        magic + [UInt8(truncatingIfNeeded: algorithm.rawValue.utf8.count)] + Array(algorithm.rawValue.utf8)
    }

    public var description: String { "SoftwareKeyStore(directory: \(directory.path))" }
}
