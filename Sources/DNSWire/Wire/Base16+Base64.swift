// Text encodings used by presentation formats: base16 (hex, RFC 4648 §8) and base64 (RFC 4648 §4).

enum Base16 {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode<C: Collection>(_ bytes: C, uppercase: Bool = false) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        let s = String(decoding: out, as: UTF8.self)
        return uppercase ? s.uppercased() : s
    }

    static func decode(_ text: String) throws -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { throw DNSWireError.presentation("hex field has an odd number of digits") }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let h = value(chars[i]), let l = value(chars[i + 1]) else {
                throw DNSWireError.presentation("hex field has a non-hex character")
            }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var r = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { r[Int(c)] = UInt8(i) }
        return r
    }()

    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let b = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= b.count {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = b.count - i
        if rest == 1 {
            let v = UInt32(b[i]) << 16
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(contentsOf: Array("==".utf8))
        } else if rest == 2 {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text.utf8 {
            if c == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { throw DNSWireError.presentation("base64 data continues after '='") }
            let v = reverse[Int(c)]
            guard v != 0xFF else {
                throw DNSWireError.presentation("base64 field has a character outside the alphabet")
            }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        guard padding <= 2 else { throw DNSWireError.presentation("base64 padding is malformed") }
        return out
    }
}

/// Formats and parses DNSSEC times, `YYYYMMDDHHmmSS` in UTC (RFC 4034 §3.2).
enum DNSSECTime {
    static func format(_ t: UInt32) -> String {
        let secs = Int64(t)
        let days = secs / 86400
        let rem = secs % 86400
        let (y, m, d) = civil(fromDays: days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)\(two(m))\(two(d))\(two(rem / 3600))\(two(rem % 3600 / 60))\(two(rem % 60))"
    }

    static func parse(_ s: String) throws -> UInt32 {
        let c = Array(s.utf8)
        guard c.count == 14, c.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            guard let v = UInt32(s) else { throw DNSWireError.presentation("time '\(s)' is not YYYYMMDDHHmmSS") }
            return v
        }
        func num(_ a: Int, _ n: Int) -> Int64 { c[a..<a + n].reduce(0) { $0 * 10 + Int64($1 - 0x30) } }
        let (y, m, d, hh, mm, ss) = (num(0, 4), num(4, 2), num(6, 2), num(8, 2), num(10, 2), num(12, 2))
        guard (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 61 else {
            throw DNSWireError.presentation("time '\(s)' is out of range")
        }
        let t = days(fromCivil: y, m, d) * 86400 + hh * 3600 + mm * 60 + ss
        guard t >= 0, t <= Int64(UInt32.max) else { throw DNSWireError.presentation("time '\(s)' is out of range") }
        return UInt32(t)
    }

    // Howard Hinnant's civil-from-days algorithms.
    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    private static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
