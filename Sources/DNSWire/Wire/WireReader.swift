/// A bounded reader over a DNS message or RDATA.
///
/// Every read checks the remaining length and throws ``DNSWireError`` instead of trapping. Name decompression follows
/// only strictly backward pointers, each one before the previous target, so loops and forward pointers are refused.
public struct WireReader: Sendable {
    /// The whole message (compression pointers may refer to any earlier offset in it).
    public let bytes: [UInt8]
    /// The next offset to read.
    public var offset: Int
    /// The end of the current window (the message end, or the end of an RDATA).
    public var end: Int

    /// Creates a reader over `bytes`, starting at offset 0.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    /// Bytes left before ``end``.
    public var remaining: Int { end - offset }

    public mutating func readUInt8() throws -> UInt8 {
        guard offset < end else { throw DNSWireError.truncated("an 8-bit field") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16() throws -> UInt16 {
        guard end - offset >= 2 else { throw DNSWireError.truncated("a 16-bit field") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32() throws -> UInt32 {
        guard end - offset >= 4 else { throw DNSWireError.truncated("a 32-bit field") }
        defer { offset += 4 }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        return v
    }

    public mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, end - offset >= count else { throw DNSWireError.truncated("a \(count)-octet field") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Moves past `count` octets without copying them.
    public mutating func skip(_ count: Int) throws {
        guard count >= 0, end - offset >= count else { throw DNSWireError.truncated("a \(count)-octet field") }
        offset += count
    }

    /// Moves past a possibly compressed name without building it (a pointer ends it): for walking a message to a
    /// record further on. ``readName(allowCompression:)`` is the one that checks a name.
    public mutating func skipName() throws {
        while true {
            guard offset < end else { throw DNSWireError.truncated("a domain name") }
            let length = bytes[offset]
            switch length & 0xC0 {
            case 0x00:
                guard end - offset - 1 >= Int(length) else { throw DNSWireError.truncated("a label") }
                offset += 1 + Int(length)
                if length == 0 { return }
            case 0xC0:
                guard end - offset >= 2 else { throw DNSWireError.truncated("a compression pointer") }
                offset += 2
                return
            default:
                throw DNSWireError(.badLabel, "label type 0x\(String(length & 0xC0, radix: 16)) is not supported")
            }
        }
    }

    /// Reads the rest of the window.
    public mutating func readRemaining() -> [UInt8] {
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// Reads a length-prefixed character-string (RFC 1035 §3.3).
    public mutating func readCharacterString() throws -> [UInt8] {
        let n = Int(try readUInt8())
        return try readBytes(n)
    }

    /// Reads a possibly compressed domain name (RFC 1035 §4.1.4).
    ///
    /// - Parameter allowCompression: false for RDATA of types defined after RFC 1035 (RFC 3597 §4), where a pointer
    ///   is an error.
    public mutating func readName(allowCompression: Bool = true) throws -> DNSName {
        var wire: [UInt8] = []
        wire.reserveCapacity(32)
        var position = offset
        var windowEnd = end
        var jumped = false
        var lowestTarget = offset
        while true {
            guard position < windowEnd else { throw DNSWireError.truncated("a domain name") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                let n = Int(length)
                if n == 0 {
                    wire.append(0)
                    if !jumped { offset = position + 1 }
                    guard wire.count <= DNSName.maxWireLength else {
                        throw DNSWireError(.nameTooLong, "a name is \(wire.count) octets; the limit is 255")
                    }
                    return DNSName(uncheckedWire: wire)
                }
                guard windowEnd - position - 1 >= n else { throw DNSWireError.truncated("a label") }
                wire.append(length)
                wire.append(contentsOf: bytes[(position + 1)...(position + n)])
                guard wire.count < DNSName.maxWireLength else {
                    throw DNSWireError(.nameTooLong, "a name exceeds 255 octets (or a compression loop built one)")
                }
                position += 1 + n
            case 0xC0:
                guard allowCompression else {
                    throw DNSWireError(.badPointer, "a compression pointer inside RDATA of a type that forbids it")
                }
                guard windowEnd - position >= 2 else { throw DNSWireError.truncated("a compression pointer") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < lowestTarget else {
                    throw DNSWireError(
                        .badPointer, "compression pointer at \(position) to \(target) is not strictly backward")
                }
                if !jumped { offset = position + 2 }
                jumped = true
                lowestTarget = target
                position = target
                windowEnd = bytes.count
            default:
                throw DNSWireError(
                    .badLabel, "label type 0x\(String(length >> 6, radix: 16)) is reserved (RFC 6891 §5)")
            }
        }
    }
}
