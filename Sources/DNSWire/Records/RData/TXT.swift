// RFC 1035 §3.3.14:  TXT-DATA  one or more <character-string>s.

/// A text record (RFC 1035 §3.3.14): one or more strings of at most 255 octets each.
public struct TXT: RDataCoding {
    static let recordType = RecordType.txt
    /// The character-strings, each at most 255 octets.
    public private(set) var strings: [[UInt8]]

    /// Creates the record; returns nil when there is no string or one exceeds 255 octets.
    public init?(strings: [[UInt8]]) {
        guard !strings.isEmpty, strings.allSatisfy({ $0.count <= 255 }) else { return nil }
        self.strings = strings
    }

    /// Creates a record from text, split into 255-octet strings.
    public init(text: String) {
        let b = Array(text.utf8)
        var parts: [[UInt8]] = stride(from: 0, to: b.count, by: 255).map { Array(b[$0..<min($0 + 255, b.count)]) }
        if parts.isEmpty { parts = [[]] }
        strings = parts
    }

    init(wire reader: inout WireReader) throws {
        var s: [[UInt8]] = []
        while reader.remaining > 0 { s.append(try reader.readCharacterString()) }
        guard !s.isEmpty else { throw DNSWireError.rdata("TXT RDATA is empty; it needs one character-string") }
        strings = s
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        for s in strings { writer.writeCharacterString(s) }
    }

    init(presentation fields: inout PresentationFields) throws {
        var s: [[UInt8]] = []
        while !fields.isAtEnd { s.append(try fields.characterString("TXT string")) }
        guard !s.isEmpty else { throw DNSWireError.presentation("TXT needs at least one string") }
        strings = s
    }

    public var presentation: String { strings.map(PresentationFields.quote).joined(separator: " ") }
}
