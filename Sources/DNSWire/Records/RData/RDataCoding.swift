/// What every RDATA type implements: wire and presentation codecs.
///
/// `canonical` asks for the RFC 4034 §6.2 form: embedded names uncompressed and, for the types listed there (as
/// amended by RFC 6840 §5.1), lowercased.
protocol RDataCoding: Hashable, Sendable {
    static var recordType: RecordType { get }
    /// Decodes from `reader`, whose ``WireReader/end`` is the end of this RDATA.
    init(wire reader: inout WireReader) throws
    func encode(into writer: inout WireWriter, canonical: Bool)
    init(presentation fields: inout PresentationFields) throws
    var presentation: String { get }
}
