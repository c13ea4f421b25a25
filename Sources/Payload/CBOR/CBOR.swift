// RFC 8949 §3: every data item starts with one initial byte: major type (high 3 bits) and additional info (low 5).
//
//   major 0 unsigned integer     major 4 array (n items)
//   major 1 negative integer     major 5 map (n pairs)
//   major 2 byte string          major 6 tag number + one item
//   major 3 text string (UTF-8)  major 7 simple values and floats
//   additional info 0..23 literal, 24/25/26/27 = 1/2/4/8-byte argument follows, 31 = indefinite length / break.

/// One CBOR data item (RFC 8949).
///
/// A plain value tree so that encodings can be built, compared and inspected without a schema; the typed structures
/// of this module (``COSESign1``, ``RegistryPayload``) are built on it. Maps are Swift dictionaries because the
/// deterministic encoding (§4.2.1) fixes their order by the encoded keys, not by insertion.
public indirect enum CBOR: Hashable, Sendable {
    /// Major type 0: 0 ... 2^64-1.
    case unsigned(UInt64)
    /// Major type 1: the value `-1 - n`, so -1 ... -2^64.
    case negative(UInt64)
    /// Major type 2.
    case bytes([UInt8])
    /// Major type 3 (always valid UTF-8).
    case text(String)
    /// Major type 4.
    case array([CBOR])
    /// Major type 5; keys are unique.
    case map([CBOR: CBOR])
    /// Major type 6: tag number and the tagged item.
    case tag(UInt64, CBOR)
    /// Simple values 20 and 21.
    case bool(Bool)
    /// Simple value 22.
    case null
    /// Simple value 23.
    case undefined
    /// Other simple values (0...19, 32...255).
    case simple(UInt8)
    /// Major type 7 floats (half, single, double all decode here; encoding picks the shortest exact form).
    case float(Double)
}

// MARK: - Convenience

extension CBOR {
    /// An integer value from a signed Swift integer.
    public static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// The value as a signed integer when it is an integer that fits `Int64`.
    public var int64: Int64? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): return n <= UInt64(Int64.max) ? -Int64(n) - 1 : nil
        default: return nil
        }
    }

    /// The value as an unsigned integer when it is one.
    public var uint64: UInt64? {
        if case .unsigned(let n) = self { return n }
        return nil
    }

    /// The byte string's content when the value is a byte string.
    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    /// The text string's content when the value is a text string.
    public var textValue: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    /// The elements when the value is an array.
    public var arrayValue: [CBOR]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The entries when the value is a map.
    public var mapValue: [CBOR: CBOR]? {
        if case .map(let m) = self { return m }
        return nil
    }
}

extension CBOR: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: CBOR...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (CBOR, CBOR)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
