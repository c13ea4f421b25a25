// IoT SAFE command and response data are simple BER-TLVs with one-byte tags:
//   tag (1 byte) | length: 00..7F, or 81 LL, or 82 LLLL | value

/// One simple TLV of IoT SAFE command or response data.
struct IoTSafeTLV: Hashable, Sendable {
    var tag: UInt8
    var value: [UInt8]

    init(_ tag: UInt8, _ value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    var encoded: [UInt8] {
        var out = [tag]
        switch value.count {
        case 0..<0x80: out.append(UInt8(value.count))
        case 0x80...0xFF: out += [0x81, UInt8(value.count)]
        default: out += [0x82, UInt8(truncatingIfNeeded: value.count >> 8), UInt8(truncatingIfNeeded: value.count)]
        }
        return out + value
    }

    /// Parses a sequence of TLVs; nil when malformed (lengths beyond the input, bad length forms).
    static func parse(_ bytes: [UInt8]) -> [IoTSafeTLV]? {
        var out: [IoTSafeTLV] = []
        var i = 0
        while i < bytes.count {
            let tag = bytes[i]
            i += 1
            guard i < bytes.count else { return nil }
            var length = Int(bytes[i])
            i += 1
            if length == 0x81 {
                guard i < bytes.count else { return nil }
                length = Int(bytes[i])
                i += 1
            } else if length == 0x82 {
                guard i + 1 < bytes.count else { return nil }
                length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
                i += 2
            } else if length > 0x7F {
                return nil
            }
            guard length <= bytes.count - i else { return nil }
            out.append(IoTSafeTLV(tag, Array(bytes[i..<(i + length)])))
            i += length
        }
        return out
    }
}

extension [IoTSafeTLV] {
    func first(_ tag: UInt8) -> [UInt8]? { first { $0.tag == tag }?.value }
    var encoded: [UInt8] { flatMap(\.encoded) }
}
