// RFC 1035 §3.4.1:  ADDRESS  a 32-bit Internet address.

/// An IPv4 address record (RFC 1035 §3.4.1).
public struct A: RDataCoding {
    static let recordType = RecordType.a
    /// The four address octets in network order.
    public var address: [UInt8]

    /// Creates the record; returns nil unless `address` has exactly 4 octets.
    public init?(address: [UInt8]) {
        guard address.count == 4 else { return nil }
        self.address = address
    }

    init(wire reader: inout WireReader) throws {
        guard reader.remaining == 4 else { throw DNSWireError.rdata("A RDATA is \(reader.remaining) octets, not 4") }
        address = try reader.readBytes(4)
    }

    func encode(into writer: inout WireWriter, canonical: Bool) { writer.writeBytes(address) }

    init(presentation fields: inout PresentationFields) throws {
        let s = try fields.next("IPv4 address")
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw DNSWireError.presentation("'\(s)' is not a dotted-quad IPv4 address") }
        address = try parts.map {
            guard let v = UInt8($0) else { throw DNSWireError.presentation("'\(s)' is not an IPv4 address") }
            return v
        }
    }

    public var presentation: String { address.map(String.init).joined(separator: ".") }
}
