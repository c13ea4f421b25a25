/// Appends DNS wire format to a byte array, with optional name compression (RFC 1035 §4.1.4).
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]
    private var compression: [DNSName: Int]?

    /// Creates a writer.
    ///
    /// - Parameter compression: whether ``writeName(_:compress:)`` may emit pointers to earlier names.
    public init(compression: Bool = false, capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        self.compression = compression ? [:] : nil
    }

    public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }
    public mutating func writeUInt16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(v & 0xFF))
    }
    public mutating func writeUInt32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24))
        bytes.append(UInt8((v >> 16) & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF))
        bytes.append(UInt8(v & 0xFF))
    }
    public mutating func writeBytes<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }

    /// Writes a character-string; callers guarantee `s.count <= 255` (the RDATA types enforce it on creation).
    public mutating func writeCharacterString(_ s: [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: min(s.count, 255)))
        bytes.append(contentsOf: s.prefix(255))
    }

    /// Overwrites a 16-bit field written earlier (RDLENGTH, counts).
    public mutating func patchUInt16(at position: Int, _ v: UInt16) {
        bytes[position] = UInt8(v >> 8)
        bytes[position + 1] = UInt8(v & 0xFF)
    }

    /// Drops everything written from `position` on, and forgets compression targets there (for truncation).
    public mutating func rollback(to position: Int) {
        guard position < bytes.count else { return }
        bytes.removeSubrange(position...)
        compression = compression?.filter { $0.value < position }
    }

    /// Writes a name, compressed against earlier names when this writer compresses and `compress` is true.
    ///
    /// Every suffix written at an offset below 0x4000 is remembered as a pointer target.
    public mutating func writeName(_ name: DNSName, compress: Bool = true) {
        guard var table = compression else {
            bytes.append(contentsOf: name.wire)
            return
        }
        compression = nil
        defer { compression = table }
        var suffix = name
        var start = 0
        let wire = name.wire
        while wire[start] != 0 {
            if compress, let target = table[suffix] {
                bytes.append(contentsOf: wire[0..<start])
                writeUInt16(0xC000 | UInt16(target))
                rememberPrefixes(of: name, upTo: start, base: bytes.count - 2 - start, in: &table)
                return
            }
            start += 1 + Int(wire[start])
            suffix = DNSName(uncheckedWire: Array(wire[start...]))
        }
        let base = bytes.count
        bytes.append(contentsOf: wire)
        rememberPrefixes(of: name, upTo: wire.count - 1, base: base, in: &table)
    }

    private func rememberPrefixes(of name: DNSName, upTo limit: Int, base: Int, in table: inout [DNSName: Int]) {
        let wire = name.wire
        var start = 0
        while start < limit {
            let at = base + start
            if at < 0x4000 {
                let s = DNSName(uncheckedWire: Array(wire[start...]))
                if table[s] == nil { table[s] = at }
            }
            start += 1 + Int(wire[start])
        }
    }
}
