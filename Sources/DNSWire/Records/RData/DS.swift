// RFC 4034 §5.1:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           Key Tag             |  Algorithm    |  Digest Type  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  /                            Digest                             /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// A delegation signer record (RFC 4034 §5): a digest of a child zone's key, published by the parent.
public struct DS: RDataCoding {
    static let recordType = RecordType.ds
    public var keyTag: UInt16
    public var algorithm: DNSSECAlgorithm
    public var digestType: DigestType
    public var digest: [UInt8]

    public init(keyTag: UInt16, algorithm: DNSSECAlgorithm, digestType: DigestType, digest: [UInt8]) {
        self.keyTag = keyTag
        self.algorithm = algorithm
        self.digestType = digestType
        self.digest = digest
    }

    init(wire reader: inout WireReader) throws {
        keyTag = try reader.readUInt16()
        algorithm = DNSSECAlgorithm(rawValue: try reader.readUInt8())
        digestType = DigestType(rawValue: try reader.readUInt8())
        digest = reader.readRemaining()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeUInt16(keyTag)
        writer.writeUInt8(algorithm.rawValue)
        writer.writeUInt8(digestType.rawValue)
        writer.writeBytes(digest)
    }

    init(presentation fields: inout PresentationFields) throws {
        keyTag = try fields.integer("DS key tag")
        algorithm = DNSSECAlgorithm(rawValue: try fields.integer("DS algorithm"))
        digestType = DigestType(rawValue: try fields.integer("DS digest type"))
        digest = try Base16.decode(fields.rest("DS digest"))
    }

    public var presentation: String {
        "\(keyTag) \(algorithm.rawValue) \(digestType.rawValue) \(Base16.encode(digest, uppercase: true))"
    }
}
