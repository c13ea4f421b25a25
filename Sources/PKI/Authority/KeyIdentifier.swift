public import X509

/// A key identifier (SKI of a CA = AKI of what it issues): names CA files in URLs.
///
/// Why a type: the registry serves `/.well-known/ca/<AKI>.pem` and `/crl/<AKI>.crl`, where the AKI is lowercase
/// hex; draft-wilson-dane-pkix-cd's reference implementation writes the bytes as hex joined by `-`. Both forms parse.
public struct KeyIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The identifier's bytes (20 for a SHA-1 SKI).
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The identifier of `publicKey` as RFC 5280 §4.2.1.2 method 1 computes it (SHA-1 of the key's BIT STRING).
    public init(publicKey: Certificate.PublicKey) {
        self.bytes = Array(SubjectKeyIdentifier(hash: publicKey).keyIdentifier)
    }

    /// Parses `0a1b…` or `0a-1b-…` (either case); nil for anything else, so a URL path can be matched safely.
    public init?(text: String) {
        let compact = text.contains("-") ? text.split(separator: "-", omittingEmptySubsequences: false) : nil
        var out: [UInt8] = []
        if let compact {
            for piece in compact {
                guard piece.utf8.count == 2, let byte = UInt8(piece, radix: 16) else { return nil }
                out.append(byte)
            }
        } else {
            let utf8 = Array(text.utf8)
            guard utf8.count % 2 == 0 else { return nil }
            var index = 0
            while index < utf8.count {
                guard let byte = UInt8(String(decoding: utf8[index..<index + 2], as: UTF8.self), radix: 16) else {
                    return nil
                }
                out.append(byte)
                index += 2
            }
        }
        guard (1...64).contains(out.count) else { return nil }
        self.bytes = out
    }

    /// Lowercase hex, no separators: the form our URLs use.
    public var hex: String { bytes.map { Hex.byte($0) }.joined() }
    /// Lowercase hex bytes joined by `-`: the form of draft-wilson-dane-pkix-cd.
    public var dashedHex: String { bytes.map { Hex.byte($0) }.joined(separator: "-") }

    public var description: String { hex }
}

enum Hex {
    static func byte(_ b: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0x0f)]])
    }
    static func string(_ bytes: some Sequence<UInt8>) -> String { bytes.map { byte($0) }.joined() }
}
