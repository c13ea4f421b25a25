// RFC 1035 §3.3.11:  NSDNAME  a <domain-name> (compressible).

/// A name server record (RFC 1035 §3.3.11).
public struct NS: RDataCoding {
    static let recordType = RecordType.ns
    /// The name server's host name.
    public var host: DNSName
    public init(host: DNSName) { self.host = host }

    init(wire reader: inout WireReader) throws { host = try reader.readName() }
    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeName(canonical ? host.lowercased() : host, compress: !canonical)
    }
    init(presentation fields: inout PresentationFields) throws { host = try fields.name("NS host") }
    public var presentation: String { host.description }
}

// RFC 1035 §3.3.1:  CNAME  a <domain-name> (compressible).

/// A canonical name (alias) record (RFC 1035 §3.3.1).
public struct CNAME: RDataCoding {
    static let recordType = RecordType.cname
    /// The canonical name the owner is an alias for.
    public var target: DNSName
    public init(target: DNSName) { self.target = target }

    init(wire reader: inout WireReader) throws { target = try reader.readName() }
    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeName(canonical ? target.lowercased() : target, compress: !canonical)
    }
    init(presentation fields: inout PresentationFields) throws { target = try fields.name("CNAME target") }
    public var presentation: String { target.description }
}
