/// One whitespace-separated field of a master-file line, escapes still in place.
struct ZoneToken: Sendable, Hashable {
    var text: String
    var quoted: Bool
}

/// The RDATA fields of one record in presentation format, consumed left to right by the RDATA parsers.
struct PresentationFields {
    var tokens: [ZoneToken]
    var index = 0
    let origin: DNSName?

    init(_ tokens: [ZoneToken], origin: DNSName?) {
        self.tokens = tokens
        self.origin = origin
    }

    init(text: String, origin: DNSName?) throws {
        var lexer = ZoneLexer(text)
        var toks: [ZoneToken] = []
        while let line = try lexer.nextLine() { toks += line.tokens }
        self.init(toks, origin: origin)
    }

    var isAtEnd: Bool { index >= tokens.count }

    mutating func next(_ what: String) throws -> String {
        guard index < tokens.count else { throw DNSWireError.presentation("missing \(what)") }
        defer { index += 1 }
        return tokens[index].text
    }

    mutating func name(_ what: String) throws -> DNSName { try DNSName(next(what), origin: origin) }

    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ what: String, as: T.Type = T.self) throws -> T {
        let s = try next(what)
        guard let v = T(s) else { throw DNSWireError.presentation("\(what) '\(s)' is not a number in range") }
        return v
    }

    /// All remaining fields concatenated (base64 and hex fields may be split by whitespace).
    mutating func rest(_ what: String) throws -> String {
        guard index < tokens.count else { throw DNSWireError.presentation("missing \(what)") }
        defer { index = tokens.count }
        return tokens[index...].map(\.text).joined()
    }

    mutating func finish() throws {
        guard isAtEnd else { throw DNSWireError.presentation("unexpected field '\(tokens[index].text)' after RDATA") }
    }

    /// A character-string (RFC 1035 §5.1): quoted or not, with `\X` and `\DDD` escapes.
    mutating func characterString(_ what: String) throws -> [UInt8] {
        let s = try next(what)
        let out = try Self.unescape(s)
        guard out.count <= 255 else { throw DNSWireError.presentation("\(what) is longer than 255 octets") }
        return out
    }

    static func unescape(_ s: String) throws -> [UInt8] {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { throw DNSWireError.presentation("string ends with '\\'") }
                if b[i + 1] >= 0x30 && b[i + 1] <= 0x39 {
                    guard b.count - i >= 4 else {
                        throw DNSWireError.presentation("'\\DDD' escape needs three digits")
                    }
                    var v = 0
                    for k in 1...3 {
                        guard b[i + k] >= 0x30 && b[i + k] <= 0x39 else {
                            throw DNSWireError.presentation("'\\DDD' escape needs three digits")
                        }
                        v = v * 10 + Int(b[i + k] - 0x30)
                    }
                    guard v <= 255 else { throw DNSWireError.presentation("'\\DDD' escape above 255") }
                    out.append(UInt8(v))
                    i += 4
                } else {
                    out.append(b[i + 1])
                    i += 2
                }
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    /// Quotes a character-string for output, escaping `"` and `\` and non-printable octets.
    static func quote(_ s: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in s {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0x20...0x7E: out.append(b)
            default:
                out.append(UInt8(ascii: "\\"))
                out.append(contentsOf: Array(String.threeDigits(b).utf8))
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
