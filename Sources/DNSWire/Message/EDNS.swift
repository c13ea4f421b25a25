// RFC 6891 §6.1.2, the OPT pseudo-record:
//   NAME  = root     TYPE = OPT (41)    CLASS = requestor's UDP payload size
//   TTL   = EXTENDED-RCODE(8) | VERSION(8) | DO(1) | Z(15)
//   RDATA = { OPTION-CODE(16) OPTION-LENGTH(16) OPTION-DATA }*

/// EDNS(0) parameters carried by the OPT pseudo-record (RFC 6891, DO bit RFC 3225).
public struct EDNS: Hashable, Sendable {
    /// One EDNS option (code and opaque data), e.g. a cookie (RFC 7873).
    public struct Option: Hashable, Sendable {
        public var code: UInt16
        public var data: [UInt8]
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    /// The largest UDP payload the sender can reassemble; values below 512 are treated as 512.
    public var udpPayloadSize: UInt16
    /// The upper eight bits of the 12-bit RCODE.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// DNSSEC OK: the sender wants RRSIG/NSEC records.
    public var dnssecOK: Bool
    /// The remaining 15 flag bits (zero today).
    public var flags: UInt16
    public var options: [Option]

    public init(
        udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
        flags: UInt16 = 0, options: [Option] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.flags = flags & 0x7FFF
        self.options = options
    }

    var ttlField: UInt32 {
        UInt32(extendedRCode) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0) | UInt32(flags & 0x7FFF)
    }

    func encode(into writer: inout WireWriter) {
        writer.writeUInt8(0)
        writer.writeUInt16(RecordType.opt.rawValue)
        writer.writeUInt16(udpPayloadSize)
        writer.writeUInt32(ttlField)
        let lengthAt = writer.bytes.count
        writer.writeUInt16(0)
        for o in options {
            writer.writeUInt16(o.code)
            writer.writeUInt16(UInt16(truncatingIfNeeded: o.data.count))
            writer.writeBytes(o.data)
        }
        writer.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: writer.bytes.count - lengthAt - 2))
    }

    var wireSize: Int { 11 + options.reduce(0) { $0 + 4 + $1.data.count } }

    init(record: ResourceRecord) throws {
        guard record.name.isRoot else { throw DNSWireError.rdata("OPT owner name must be the root (RFC 6891 §6.1.2)") }
        let ttl = record.ttl
        udpPayloadSize = record.recordClass.rawValue
        extendedRCode = UInt8(ttl >> 24)
        version = UInt8((ttl >> 16) & 0xFF)
        dnssecOK = ttl & 0x8000 != 0
        flags = UInt16(ttl & 0x7FFF)
        var reader = WireReader(record.rdata.canonicalWire)
        var opts: [Option] = []
        while reader.remaining > 0 {
            let code = try reader.readUInt16()
            let n = Int(try reader.readUInt16())
            opts.append(Option(code: code, data: try reader.readBytes(n)))
        }
        options = opts
    }
}
