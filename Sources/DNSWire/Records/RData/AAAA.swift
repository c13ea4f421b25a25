// RFC 3596 §2.2: a 128-bit IPv6 address in network byte order.

/// An IPv6 address record (RFC 3596).
public struct AAAA: RDataCoding {
    static let recordType = RecordType.aaaa
    /// The sixteen address octets in network order.
    public var address: [UInt8]

    /// Creates the record; returns nil unless `address` has exactly 16 octets.
    public init?(address: [UInt8]) {
        guard address.count == 16 else { return nil }
        self.address = address
    }

    init(wire reader: inout WireReader) throws {
        guard reader.remaining == 16 else {
            throw DNSWireError.rdata("AAAA RDATA is \(reader.remaining) octets, not 16")
        }
        address = try reader.readBytes(16)
    }

    func encode(into writer: inout WireWriter, canonical: Bool) { writer.writeBytes(address) }

    init(presentation fields: inout PresentationFields) throws {
        let s = try fields.next("IPv6 address")
        let bad = DNSWireError.presentation("'\(s)' is not an IPv6 address")
        var text = Substring(s)
        var tailV4: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            var f = PresentationFields(
                [ZoneToken(text: String(text[text.index(after: lastColon)...]), quoted: false)],
                origin: nil)
            tailV4 = try A(presentation: &f).address
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
        }
        func groups(_ part: Substring) throws -> [UInt8] {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard g.count >= 1, g.count <= 4, let v = UInt16(g, radix: 16) else { throw bad }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        var bytes: [UInt8]
        let chars = Array(text)
        if let k = chars.indices.first(where: { $0 + 1 < chars.count && chars[$0] == ":" && chars[$0 + 1] == ":" }) {
            let head = try groups(Substring(String(chars[..<k])))
            let tail = try groups(Substring(String(chars[(k + 2)...]))) + tailV4
            guard head.count + tail.count <= 14 else { throw bad }
            bytes = head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        } else {
            bytes = try groups(text) + tailV4
        }
        guard bytes.count == 16 else { throw bad }
        address = bytes
    }

    /// RFC 5952 text: lowercase, the longest run of two or more zero groups as `::`.
    public var presentation: String {
        let g = (0..<8).map { UInt16(address[2 * $0]) << 8 | UInt16(address[2 * $0 + 1]) }
        var best = (start: -1, len: 0)
        var i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > best.len && j - i >= 2 { best = (i, j - i) }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(g[$0], radix: 16) }.joined(separator: ":") }
        if best.start < 0 { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.len)..<8)
    }
}
