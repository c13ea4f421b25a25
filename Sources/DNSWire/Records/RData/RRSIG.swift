// RFC 4034 §3.1:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        Type Covered           |  Algorithm    |     Labels    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Original TTL                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Signature Expiration                     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Signature Inception                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            Key Tag            |                               /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+         Signer's Name         /
//  /                                                               /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  /                            Signature                          /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// A DNSSEC signature over one RRset (RFC 4034 §3).
public struct RRSIG: RDataCoding {
    static let recordType = RecordType.rrsig
    public var typeCovered: RecordType
    public var algorithm: DNSSECAlgorithm
    /// Labels of the owner name, not counting a leading `*` (RFC 4034 §3.1.3).
    public var labels: UInt8
    public var originalTTL: UInt32
    /// Seconds since 1970 modulo 2^32 (RFC 1982 arithmetic).
    public var expiration: UInt32
    public var inception: UInt32
    public var keyTag: UInt16
    public var signerName: DNSName
    public var signature: [UInt8]

    public init(
        typeCovered: RecordType, algorithm: DNSSECAlgorithm, labels: UInt8, originalTTL: UInt32, expiration: UInt32,
        inception: UInt32, keyTag: UInt16, signerName: DNSName, signature: [UInt8]
    ) {
        self.typeCovered = typeCovered
        self.algorithm = algorithm
        self.labels = labels
        self.originalTTL = originalTTL
        self.expiration = expiration
        self.inception = inception
        self.keyTag = keyTag
        self.signerName = signerName
        self.signature = signature
    }

    init(wire reader: inout WireReader) throws {
        typeCovered = RecordType(rawValue: try reader.readUInt16())
        algorithm = DNSSECAlgorithm(rawValue: try reader.readUInt8())
        labels = try reader.readUInt8()
        originalTTL = try reader.readUInt32()
        expiration = try reader.readUInt32()
        inception = try reader.readUInt32()
        keyTag = try reader.readUInt16()
        signerName = try reader.readName(allowCompression: false)
        signature = reader.readRemaining()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        encodeWithoutSignature(into: &writer, canonical: canonical)
        writer.writeBytes(signature)
    }

    /// The RDATA up to and excluding the signature: the first part of the signing input (RFC 4034 §3.1.8.1).
    public func encodeWithoutSignature(into writer: inout WireWriter, canonical: Bool = true) {
        writer.writeUInt16(typeCovered.rawValue)
        writer.writeUInt8(algorithm.rawValue)
        writer.writeUInt8(labels)
        writer.writeUInt32(originalTTL)
        writer.writeUInt32(expiration)
        writer.writeUInt32(inception)
        writer.writeUInt16(keyTag)
        writer.writeName(canonical ? signerName.lowercased() : signerName, compress: false)
    }

    init(presentation fields: inout PresentationFields) throws {
        let t = try fields.next("RRSIG type covered")
        guard let type = RecordType(mnemonic: t) else {
            throw DNSWireError(.unknownMnemonic, "RRSIG covers unknown type '\(t)'")
        }
        typeCovered = type
        algorithm = DNSSECAlgorithm(rawValue: try fields.integer("RRSIG algorithm"))
        labels = try fields.integer("RRSIG labels")
        originalTTL = try fields.integer("RRSIG original TTL")
        expiration = try DNSSECTime.parse(fields.next("RRSIG expiration"))
        inception = try DNSSECTime.parse(fields.next("RRSIG inception"))
        keyTag = try fields.integer("RRSIG key tag")
        signerName = try fields.name("RRSIG signer")
        signature = try Base64.decode(fields.rest("RRSIG signature"))
    }

    public var presentation: String {
        "\(typeCovered) \(algorithm.rawValue) \(labels) \(originalTTL) \(DNSSECTime.format(expiration)) "
            + "\(DNSSECTime.format(inception)) \(keyTag) \(signerName) \(Base64.encode(signature))"
    }
}
