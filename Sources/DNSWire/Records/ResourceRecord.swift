// RFC 1035 §4.1.3:  NAME  TYPE(16)  CLASS(16)  TTL(32)  RDLENGTH(16)  RDATA

/// One resource record: owner name, class, TTL and RDATA (whose type is the record's type).
public struct ResourceRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var rdata: RData

    public init(name: DNSName, recordClass: RecordClass = .in, ttl: UInt32, rdata: RData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdata = rdata
    }

    /// The record's TYPE, taken from its RDATA.
    public var type: RecordType { rdata.type }

    /// One master-file line: `name TTL class type rdata`, absolute names.
    public var description: String { "\(name)\t\(ttl)\t\(recordClass)\t\(type)\t\(rdata.presentation)" }

    /// Writes the record in wire form; names compress only where RFC 3597 §4 allows.
    public func encode(into writer: inout WireWriter) {
        writer.writeName(name)
        writer.writeUInt16(type.rawValue)
        writer.writeUInt16(recordClass.rawValue)
        writer.writeUInt32(ttl)
        let lengthAt = writer.bytes.count
        writer.writeUInt16(0)
        if rdata.allowsCompression {
            rdata.encode(into: &writer)
        } else {
            var plain = WireWriter()
            rdata.encode(into: &plain)
            writer.writeBytes(plain.bytes)
        }
        writer.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: writer.bytes.count - lengthAt - 2))
    }

    /// Decodes one record; RDLENGTH bounds the RDATA, which must be consumed exactly.
    public init(wire reader: inout WireReader) throws {
        name = try reader.readName()
        let type = RecordType(rawValue: try reader.readUInt16())
        recordClass = RecordClass(rawValue: try reader.readUInt16())
        ttl = try reader.readUInt32()
        let length = Int(try reader.readUInt16())
        guard reader.remaining >= length else { throw DNSWireError.truncated("RDATA (RDLENGTH \(length))") }
        let savedEnd = reader.end
        reader.end = reader.offset + length
        rdata = try RData(type: type, wire: &reader)
        reader.end = savedEnd
    }
}

/// An RRset: all records with the same owner, class and type (RFC 2181 §5), with one TTL.
public struct RRSet: Hashable, Sendable {
    public var name: DNSName
    public var type: RecordType
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var rdatas: [RData]

    public init(name: DNSName, type: RecordType, recordClass: RecordClass = .in, ttl: UInt32, rdatas: [RData]) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdatas = rdatas
    }

    /// The records of this set.
    public var records: [ResourceRecord] {
        rdatas.map { ResourceRecord(name: name, recordClass: recordClass, ttl: ttl, rdata: $0) }
    }

    /// Groups records into RRsets in first-seen order; duplicate RDATA is dropped and the lowest TTL wins
    /// (RFC 2181 §5.2).
    /// Identifies an RRset: owner, type and class.
    public struct Key: Hashable, Sendable {
        public var name: DNSName
        public var type: RecordType
        public var recordClass: RecordClass
        public init(name: DNSName, type: RecordType, recordClass: RecordClass = .in) {
            self.name = name
            self.type = type
            self.recordClass = recordClass
        }
    }

    /// This set's key.
    public var key: Key { Key(name: name, type: type, recordClass: recordClass) }

    public static func group<S: Sequence>(_ records: S) -> [RRSet] where S.Element == ResourceRecord {
        var index: [Key: Int] = [:]
        var sets: [RRSet] = []
        for r in records {
            let k = Key(name: r.name, type: r.type, recordClass: r.recordClass)
            if let i = index[k] {
                if !sets[i].rdatas.contains(r.rdata) { sets[i].rdatas.append(r.rdata) }
                sets[i].ttl = min(sets[i].ttl, r.ttl)
            } else {
                index[k] = sets.count
                sets.append(
                    RRSet(name: r.name, type: r.type, recordClass: r.recordClass, ttl: r.ttl, rdatas: [r.rdata]))
            }
        }
        return sets
    }
}
