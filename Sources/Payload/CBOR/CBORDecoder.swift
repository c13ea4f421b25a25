/// A bounded CBOR (RFC 8949) decoder for untrusted input.
///
/// Payloads arrive over the air from a network we do not control, so every limit is explicit: the input size, the
/// nesting depth, indefinite lengths (refused by default, since the payload format requires definite lengths), and
/// optionally anything that is not the deterministic encoding (§4.2.1). Malformed, truncated or oversized input and
/// trailing bytes throw a ``PayloadError``; the decoder never traps and never allocates more than the input implies.
public struct CBORDecoder: Sendable {
    /// Largest input accepted, in bytes.
    public var maxSize: Int
    /// Deepest nesting of arrays, maps and tags accepted (the top-level item is depth 1).
    public var maxDepth: Int
    /// Whether indefinite-length strings, arrays and maps are accepted (RFC 8949 §3.2.2).
    public var allowIndefiniteLength: Bool
    /// Whether the input must be exactly the deterministic encoding of the value it decodes to (§4.2.1).
    public var requireDeterministic: Bool

    /// Makes a decoder with the given limits.
    ///
    /// - Parameters:
    ///   - maxSize: largest input in bytes (default 64 KiB, far above a Registry Payload).
    ///   - maxDepth: deepest nesting (default 16).
    ///   - allowIndefiniteLength: accept indefinite lengths (default false).
    ///   - requireDeterministic: refuse anything but the §4.2.1 deterministic encoding (default false).
    public init(
        maxSize: Int = 64 * 1024,
        maxDepth: Int = 16,
        allowIndefiniteLength: Bool = false,
        requireDeterministic: Bool = false
    ) {
        self.maxSize = maxSize
        self.maxDepth = maxDepth
        self.allowIndefiniteLength = allowIndefiniteLength
        self.requireDeterministic = requireDeterministic
    }

    /// Decodes exactly one data item that spans all of `bytes`.
    ///
    /// - Throws: ``PayloadError`` with code `truncated`, `trailingBytes`, `tooDeep`, `tooLarge`, `malformed`,
    ///   `indefiniteLength`, `invalidUTF8`, `duplicateMapKey` or `notDeterministic`.
    public func decode(_ bytes: [UInt8]) throws -> CBOR {
        guard bytes.count <= maxSize else {
            throw PayloadError(.tooLarge, "CBOR input is \(bytes.count) bytes, above the limit of \(maxSize)")
        }
        var reader = Reader(bytes: bytes, decoder: self)
        let value = try reader.item(depth: 1)
        guard reader.position == bytes.count else {
            throw PayloadError(.trailingBytes, "\(bytes.count - reader.position) bytes follow the CBOR item")
        }
        if requireDeterministic && value.encoded() != bytes {
            throw PayloadError(
                .notDeterministic,
                "the CBOR item is not in RFC 8949 §4.2.1 deterministic form (shortest lengths, sorted map keys)"
            )
        }
        return value
    }
}

extension CBORDecoder {
    private struct Reader {
        let bytes: [UInt8]
        let decoder: CBORDecoder
        var position = 0

        var remaining: Int { bytes.count - position }

        mutating func byte() throws -> UInt8 {
            guard position < bytes.count else {
                throw PayloadError(.truncated, "CBOR input ended at byte \(position) in the middle of an item")
            }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: UInt64) throws -> ArraySlice<UInt8> {
            guard count <= UInt64(remaining) else {
                throw PayloadError(.truncated, "CBOR item claims \(count) bytes but only \(remaining) remain")
            }
            let n = Int(count)
            defer { position += n }
            return bytes[position..<(position + n)]
        }

        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                let length = 1 << (info - 24)
                var value: UInt64 = 0
                for b in try take(UInt64(length)) { value = value << 8 | UInt64(b) }
                return value
            default:
                throw PayloadError(.malformed, "reserved additional information \(info) at byte \(position - 1)")
            }
        }

        mutating func item(depth: Int) throws -> CBOR {
            guard depth <= decoder.maxDepth else {
                throw PayloadError(.tooDeep, "CBOR nesting exceeds the limit of \(decoder.maxDepth)")
            }
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1F
            if info == 31 {
                return try indefinite(major: major, depth: depth)
            }
            switch major {
            case 0:
                return .unsigned(try argument(info))
            case 1:
                return .negative(try argument(info))
            case 2:
                return .bytes(Array(try take(try argument(info))))
            case 3:
                return .text(try text(try take(try argument(info))))
            case 4:
                let count = try argument(info)
                guard count <= UInt64(remaining) else {
                    throw PayloadError(
                        .truncated, "CBOR array claims \(count) items but only \(remaining) bytes remain")
                }
                var items: [CBOR] = []
                items.reserveCapacity(Int(count))
                for _ in 0..<count { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let count = try argument(info)
                guard count <= UInt64(remaining / 2) else {
                    throw PayloadError(.truncated, "CBOR map claims \(count) pairs but only \(remaining) bytes remain")
                }
                var entries: [CBOR: CBOR] = [:]
                for _ in 0..<count { try insert(into: &entries, depth: depth) }
                return .map(entries)
            case 6:
                let number = try argument(info)
                return .tag(number, try item(depth: depth + 1))
            default:
                return try simpleOrFloat(info)
            }
        }

        mutating func insert(into entries: inout [CBOR: CBOR], depth: Int) throws {
            let key = try item(depth: depth + 1)
            let value = try item(depth: depth + 1)
            guard entries.updateValue(value, forKey: key) == nil else {
                throw PayloadError(.duplicateMapKey, "CBOR map repeats a key; each key must appear once")
            }
        }

        func text(_ slice: ArraySlice<UInt8>) throws -> String {
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw PayloadError(.invalidUTF8, "CBOR text string is not valid UTF-8")
            }
            return s
        }

        mutating func simpleOrFloat(_ info: UInt8) throws -> CBOR {
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 0..<20: return .simple(info)
            case 24:
                let v = try byte()
                guard v >= 32 else {
                    throw PayloadError(.malformed, "two-byte simple value \(v) must be 32 or more (RFC 8949 §3.3)")
                }
                return .simple(v)
            case 25:
                return .float(HalfFloat.double(fromBits: UInt16(try argument(25))))
            case 26:
                return .float(Double(Float(bitPattern: UInt32(try argument(26)))))
            case 27:
                return .float(Double(bitPattern: try argument(27)))
            default:
                throw PayloadError(.malformed, "reserved simple/float additional information \(info)")
            }
        }

        mutating func indefinite(major: UInt8, depth: Int) throws -> CBOR {
            switch major {
            case 2, 3, 4, 5:
                guard decoder.allowIndefiniteLength else {
                    throw PayloadError(.indefiniteLength, "indefinite-length CBOR item; definite lengths are required")
                }
            case 7:
                throw PayloadError(.malformed, "CBOR break (0xFF) outside an indefinite-length item")
            default:
                throw PayloadError(.malformed, "major type \(major) cannot have an indefinite length")
            }
            switch major {
            case 2, 3:
                var content: [UInt8] = []
                while try !atBreak() {
                    let initial = try byte()
                    guard initial >> 5 == major, initial & 0x1F != 31 else {
                        throw PayloadError(.malformed, "indefinite string chunk of the wrong type or length")
                    }
                    content.append(contentsOf: try take(try argument(initial & 0x1F)))
                }
                return major == 2 ? .bytes(content) : .text(try text(content[...]))
            case 4:
                var items: [CBOR] = []
                while try !atBreak() { items.append(try item(depth: depth + 1)) }
                return .array(items)
            default:
                var entries: [CBOR: CBOR] = [:]
                while try !atBreak() { try insert(into: &entries, depth: depth) }
                return .map(entries)
            }
        }

        /// Consumes a break byte when one is next.
        mutating func atBreak() throws -> Bool {
            guard position < bytes.count else {
                throw PayloadError(.truncated, "CBOR input ended before the break of an indefinite-length item")
            }
            if bytes[position] == 0xFF {
                position += 1
                return true
            }
            return false
        }
    }
}
