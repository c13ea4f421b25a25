public import Foundation
import Crypto

/// A bearer token: random, shown once, stored only as its SHA-256.
///
/// Tokens carry 256 bits of randomness, so a plain SHA-256 (no salt, no stretching) is a safe and fast way to keep
/// them: the hash is useless to an attacker who reads the database, and lookup by hash stays one index probe.
public struct APIToken: Sendable {
    /// The token text as handed to its holder. Never stored, never logged.
    public let secret: String

    /// A fresh token with a prefix that tells an operator what it is (`iotreg_asp_…`).
    public static func generate(prefix: String) -> APIToken {
        APIToken(secret: "iotreg_\(prefix)_" + RandomText.base32(byteCount: 32))
    }

    public init(secret: String) { self.secret = secret }

    /// The stored form: lowercase hex SHA-256 of the token text.
    public var hash: String { Self.hash(secret) }

    /// Hashes a presented token for lookup.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}

/// Random text for tokens, codes and ids, from the system's cryptographic generator.
public enum RandomText {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// `byteCount` random bytes as lowercase RFC 4648 base32 without padding (URL- and shell-safe).
    public static func base32(byteCount: Int) -> String {
        let bytes = SymmetricKey(size: .init(bitCount: byteCount * 8)).withUnsafeBytes { Array($0) }
        var output: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// A short identifier with a kind prefix, e.g. `asp-3k9x…`.
    public static func identifier(prefix: String) -> String {
        "\(prefix)-" + base32(byteCount: 10)
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    public var hexString: String {
        var text = ""
        for byte in self {
            let hex = String(byte, radix: 16)
            if byte < 16 { text += "0" }
            text += hex
        }
        return text
    }
}

extension SHA256.Digest {
    /// Lowercase hexadecimal of the digest.
    var hexString: String { self.withUnsafeBytes { Array($0) }.hexString }
}
