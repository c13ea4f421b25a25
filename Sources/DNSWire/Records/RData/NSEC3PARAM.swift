// RFC 5155 §4.2:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   Hash Alg.   |     Flags     |          Iterations           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Salt Length  |                     Salt                      /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// NSEC3 parameters of a zone (RFC 5155 §4); this project signs with NSEC, but reads zones that use NSEC3.
public struct NSEC3PARAM: RDataCoding {
    static let recordType = RecordType.nsec3param
    public var hashAlgorithm: UInt8
    public var flags: UInt8
    public var iterations: UInt16
    public var salt: [UInt8]

    public init?(hashAlgorithm: UInt8, flags: UInt8, iterations: UInt16, salt: [UInt8]) {
        guard salt.count <= 255 else { return nil }
        self.hashAlgorithm = hashAlgorithm
        self.flags = flags
        self.iterations = iterations
        self.salt = salt
    }

    init(wire reader: inout WireReader) throws {
        hashAlgorithm = try reader.readUInt8()
        flags = try reader.readUInt8()
        iterations = try reader.readUInt16()
        salt = try reader.readCharacterString()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeUInt8(hashAlgorithm)
        writer.writeUInt8(flags)
        writer.writeUInt16(iterations)
        writer.writeCharacterString(salt)
    }

    init(presentation fields: inout PresentationFields) throws {
        hashAlgorithm = try fields.integer("NSEC3PARAM hash algorithm")
        flags = try fields.integer("NSEC3PARAM flags")
        iterations = try fields.integer("NSEC3PARAM iterations")
        let s = try fields.next("NSEC3PARAM salt")
        salt = s == "-" ? [] : try Base16.decode(s)
        guard salt.count <= 255 else { throw DNSWireError.presentation("NSEC3PARAM salt is longer than 255 octets") }
    }

    public var presentation: String {
        "\(hashAlgorithm) \(flags) \(iterations) \(salt.isEmpty ? "-" : Base16.encode(salt))"
    }
}
