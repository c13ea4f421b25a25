// RFC 1035 §3.3.13:
//   MNAME  <domain-name>   RNAME  <domain-name>
//   SERIAL REFRESH RETRY EXPIRE MINIMUM   five 32-bit unsigned integers

/// The start-of-authority record (RFC 1035 §3.3.13); `minimum` is the negative-caching TTL bound (RFC 2308).
public struct SOA: RDataCoding {
    static let recordType = RecordType.soa
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }

    init(wire reader: inout WireReader) throws {
        mname = try reader.readName()
        rname = try reader.readName()
        serial = try reader.readUInt32()
        refresh = try reader.readUInt32()
        retry = try reader.readUInt32()
        expire = try reader.readUInt32()
        minimum = try reader.readUInt32()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeName(canonical ? mname.lowercased() : mname, compress: !canonical)
        writer.writeName(canonical ? rname.lowercased() : rname, compress: !canonical)
        for v in [serial, refresh, retry, expire, minimum] { writer.writeUInt32(v) }
    }

    init(presentation fields: inout PresentationFields) throws {
        mname = try fields.name("SOA MNAME")
        rname = try fields.name("SOA RNAME")
        serial = try fields.integer("SOA serial")
        refresh = try Self.ttl(&fields, "SOA refresh")
        retry = try Self.ttl(&fields, "SOA retry")
        expire = try Self.ttl(&fields, "SOA expire")
        minimum = try Self.ttl(&fields, "SOA minimum")
    }

    private static func ttl(_ f: inout PresentationFields, _ what: String) throws -> UInt32 {
        let s = try f.next(what)
        guard let v = ZoneFileReader.parseTTL(s) else { throw DNSWireError.presentation("\(what) '\(s)' is not a TTL") }
        return v
    }

    public var presentation: String { "\(mname) \(rname) \(serial) \(refresh) \(retry) \(expire) \(minimum)" }
}
