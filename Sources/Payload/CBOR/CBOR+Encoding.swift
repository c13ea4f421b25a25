// RFC 8949 §4.2.1 core deterministic encoding requirements:
//   - preferred serialization: integer arguments and lengths in the shortest form (0..23 inline, then 1/2/4/8 bytes);
//     floats in the shortest of half/single/double that preserves the value exactly;
//   - indefinite-length items are never produced;
//   - map keys sorted by the bytewise lexicographic order of their deterministic encodings.

extension CBOR {
    /// The RFC 8949 §4.2.1 deterministic encoding of this item.
    ///
    /// There is exactly one encoding per value, so encoded payloads can be signed, hashed and compared byte for byte
    /// (and equal `cbor2.dumps(value, canonical=True)`).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    /// Appends the deterministic encoding of this item to `out`.
    public func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let n):
            Self.appendHead(major: 0, argument: n, into: &out)
        case .negative(let n):
            Self.appendHead(major: 1, argument: n, into: &out)
        case .bytes(let b):
            Self.appendHead(major: 2, argument: UInt64(b.count), into: &out)
            out.append(contentsOf: b)
        case .text(let s):
            let utf8 = Array(s.utf8)
            Self.appendHead(major: 3, argument: UInt64(utf8.count), into: &out)
            out.append(contentsOf: utf8)
        case .array(let items):
            Self.appendHead(major: 4, argument: UInt64(items.count), into: &out)
            for item in items { item.encode(into: &out) }
        case .map(let entries):
            Self.appendHead(major: 5, argument: UInt64(entries.count), into: &out)
            let sorted = entries.map { (key: $0.key.encoded(), value: $0.value) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for entry in sorted {
                out.append(contentsOf: entry.key)
                entry.value.encode(into: &out)
            }
        case .tag(let number, let item):
            Self.appendHead(major: 6, argument: number, into: &out)
            item.encode(into: &out)
        case .bool(let b):
            out.append(b ? 0xF5 : 0xF4)
        case .null:
            out.append(0xF6)
        case .undefined:
            out.append(0xF7)
        case .simple(let v):
            if v < 24 {
                out.append(0xE0 | v)
            } else {
                out.append(0xF8)
                out.append(v)
            }
        case .float(let d):
            Self.appendFloat(d, into: &out)
        }
    }

    /// Writes the initial byte and the shortest argument (RFC 8949 §4.2.1 preferred serialization).
    static func appendHead(major: UInt8, argument: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24:
            out.append(m | UInt8(argument))
        case 24...0xFF:
            out.append(m | 24)
            out.append(UInt8(argument))
        case 0x100...0xFFFF:
            out.append(m | 25)
            appendBigEndian(argument, byteCount: 2, into: &out)
        case 0x1_0000...0xFFFF_FFFF:
            out.append(m | 26)
            appendBigEndian(argument, byteCount: 4, into: &out)
        default:
            out.append(m | 27)
            appendBigEndian(argument, byteCount: 8, into: &out)
        }
    }

    private static func appendBigEndian(_ value: UInt64, byteCount: Int, into out: inout [UInt8]) {
        for i in stride(from: byteCount - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8)))
        }
    }

    /// Shortest exact float form (§4.2.1 with §4.2.2's NaN rule: every NaN is written as the half 0x7E00).
    private static func appendFloat(_ d: Double, into out: inout [UInt8]) {
        if d.isNaN {
            out.append(contentsOf: [0xF9, 0x7E, 0x00])
            return
        }
        if let half = HalfFloat.bits(exactly: d) {
            out.append(0xF9)
            appendBigEndian(UInt64(half), byteCount: 2, into: &out)
            return
        }
        let single = Float(d)
        if Double(single) == d {
            out.append(0xFA)
            appendBigEndian(UInt64(single.bitPattern), byteCount: 4, into: &out)
            return
        }
        out.append(0xFB)
        appendBigEndian(d.bitPattern, byteCount: 8, into: &out)
    }
}

/// IEEE 754 binary16 conversions written out, because `Float16` is not available on every platform Swift targets.
enum HalfFloat {
    /// Decodes binary16 bits (RFC 8949 Appendix D).
    static func double(fromBits half: UInt16) -> Double {
        let exponent = Int((half >> 10) & 0x1F)
        let mantissa = Double(half & 0x3FF)
        let value: Double
        if exponent == 0 {
            value = mantissa * 0x1p-24
        } else if exponent != 31 {
            value = (mantissa + 1024) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        } else {
            value = mantissa == 0 ? .infinity : .nan
        }
        return half & 0x8000 != 0 ? -value : value
    }

    /// The binary16 bits of `d` when `d` is exactly representable as a half float, else nil.
    static func bits(exactly d: Double) -> UInt16? {
        if d.isNaN { return 0x7E00 }
        let sign: UInt16 = d.sign == .minus ? 0x8000 : 0
        if d.isInfinite { return sign | 0x7C00 }
        if d == 0 { return sign }
        let magnitude = abs(d)
        // Normal halves: 2^-14 ... 65504; subnormal: multiples of 2^-24 below 2^-14.
        if magnitude >= 0x1p-14 && magnitude <= 65504 {
            let exponent = Int(magnitude.exponent)  // unbiased
            let significand = magnitude.significand  // in [1, 2)
            let scaled = (significand - 1) * 1024
            guard scaled == scaled.rounded(.towardZero) else { return nil }
            return sign | UInt16(exponent + 15) << 10 | UInt16(scaled)
        }
        if magnitude < 0x1p-14 {
            let scaled = magnitude * 0x1p24
            guard scaled == scaled.rounded(.towardZero), scaled >= 1, scaled < 1024 else { return nil }
            return sign | UInt16(scaled)
        }
        return nil
    }
}
