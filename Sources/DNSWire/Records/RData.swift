/// The RDATA of one resource record: a modelled type, or opaque octets (RFC 3597).
public enum RData: Hashable, Sendable {
    case a(A)
    case aaaa(AAAA)
    case ns(NS)
    case cname(CNAME)
    case soa(SOA)
    case txt(TXT)
    case tlsa(TLSA)
    case cert(CERT)
    case dnskey(DNSKEY)
    case ds(DS)
    case rrsig(RRSIG)
    case nsec(NSEC)
    case nsec3param(NSEC3PARAM)
    case unknown(UnknownRData)

    /// The record type this RDATA belongs to.
    public var type: RecordType {
        switch self {
        case .unknown(let u): u.type
        default: coding.map { Swift.type(of: $0).recordType } ?? .any
        }
    }

    private var coding: (any RDataCoding)? {
        switch self {
        case .a(let v): v
        case .aaaa(let v): v
        case .ns(let v): v
        case .cname(let v): v
        case .soa(let v): v
        case .txt(let v): v
        case .tlsa(let v): v
        case .cert(let v): v
        case .dnskey(let v): v
        case .ds(let v): v
        case .rrsig(let v): v
        case .nsec(let v): v
        case .nsec3param(let v): v
        case .unknown: nil
        }
    }

    /// Decodes RDATA of `type` from `reader`, whose window ends where the RDATA ends.
    ///
    /// - Throws: ``DNSWireError`` `badRData` when the octets do not match the type's layout or length.
    public init(type: RecordType, wire reader: inout WireReader) throws {
        func decode<T: RDataCoding>(_: T.Type) throws -> T {
            let v = try T(wire: &reader)
            guard reader.remaining == 0 else {
                throw DNSWireError.rdata("\(type) RDATA has \(reader.remaining) octets after its last field")
            }
            return v
        }
        switch type {
        case .a: self = .a(try decode(A.self))
        case .aaaa: self = .aaaa(try decode(AAAA.self))
        case .ns: self = .ns(try decode(NS.self))
        case .cname: self = .cname(try decode(CNAME.self))
        case .soa: self = .soa(try decode(SOA.self))
        case .txt: self = .txt(try decode(TXT.self))
        case .tlsa: self = .tlsa(try decode(TLSA.self))
        case .cert: self = .cert(try decode(CERT.self))
        case .dnskey: self = .dnskey(try decode(DNSKEY.self))
        case .ds: self = .ds(try decode(DS.self))
        case .rrsig: self = .rrsig(try decode(RRSIG.self))
        case .nsec: self = .nsec(try decode(NSEC.self))
        case .nsec3param: self = .nsec3param(try decode(NSEC3PARAM.self))
        default: self = .unknown(UnknownRData(type: type, data: reader.readRemaining()))
        }
    }

    /// Decodes standalone RDATA octets (no compression context).
    public init(type: RecordType, wire bytes: [UInt8]) throws {
        var r = WireReader(bytes)
        try self.init(type: type, wire: &r)
    }

    /// Writes the RDATA (without RDLENGTH).
    ///
    /// - Parameter canonical: the RFC 4034 §6.2 form used for signing: no compression, listed names lowercased.
    public func encode(into writer: inout WireWriter, canonical: Bool = false) {
        if case .unknown(let u) = self {
            writer.writeBytes(u.data)
        } else {
            coding?.encode(into: &writer, canonical: canonical)
        }
    }

    /// The RDATA octets in canonical form (RFC 4034 §6.2).
    public var canonicalWire: [UInt8] {
        var w = WireWriter()
        encode(into: &w, canonical: true)
        return w.bytes
    }

    /// Parses RDATA presentation text (`3 1 1 ab12…`) of `type`; relative names complete with `origin`.
    ///
    /// Accepts the RFC 3597 form `\# len hex` for every type.
    public init(type: RecordType, presentation text: String, origin: DNSName? = nil) throws {
        var fields = try PresentationFields(text: text, origin: origin)
        try self.init(type: type, fields: &fields)
    }

    init(type: RecordType, fields: inout PresentationFields) throws {
        if fields.tokens.first.map({ $0.text == "\\#" && !$0.quoted }) == true {
            fields.index += 1
            let length: Int = Int(try fields.integer("RFC 3597 length", as: UInt16.self))
            let data = length == 0 ? [] : try Base16.decode(fields.rest("RFC 3597 data"))
            guard data.count == length else {
                throw DNSWireError.presentation("RFC 3597 data has \(data.count) octets, not the \(length) announced")
            }
            self = try RData(type: type, wire: data)
            return
        }
        func parse<T: RDataCoding>(_: T.Type) throws -> T {
            let v = try T(presentation: &fields)
            try fields.finish()
            return v
        }
        switch type {
        case .a: self = .a(try parse(A.self))
        case .aaaa: self = .aaaa(try parse(AAAA.self))
        case .ns: self = .ns(try parse(NS.self))
        case .cname: self = .cname(try parse(CNAME.self))
        case .soa: self = .soa(try parse(SOA.self))
        case .txt: self = .txt(try parse(TXT.self))
        case .tlsa: self = .tlsa(try parse(TLSA.self))
        case .cert: self = .cert(try parse(CERT.self))
        case .dnskey: self = .dnskey(try parse(DNSKEY.self))
        case .ds: self = .ds(try parse(DS.self))
        case .rrsig: self = .rrsig(try parse(RRSIG.self))
        case .nsec: self = .nsec(try parse(NSEC.self))
        case .nsec3param: self = .nsec3param(try parse(NSEC3PARAM.self))
        default:
            throw DNSWireError(
                .unknownMnemonic, "type \(type) has no presentation parser here; write it as '\\# len hex' (RFC 3597)")
        }
    }

    /// The presentation form of the RDATA (per-type text, or `\# len hex`).
    public var presentation: String {
        if case .unknown(let u) = self { return u.presentation }
        return coding?.presentation ?? ""
    }

    /// Whether names in this RDATA may be compressed in messages (RFC 3597 §4: only RFC 1035 types).
    var allowsCompression: Bool { [.ns, .cname, .soa, .mx, .ptr].contains(type) }
}
