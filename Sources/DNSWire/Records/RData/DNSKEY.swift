// RFC 4034 §2.1:
//                       1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |              Flags            |    Protocol   |   Algorithm   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  /                            Public Key                         /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// A DNSSEC public key record (RFC 4034 §2).
public struct DNSKEY: RDataCoding {
    static let recordType = RecordType.dnskey

    /// Zone Key flag (bit 7): set on every key that signs zone data.
    public static let zoneKeyFlag: UInt16 = 0x0100
    /// Secure Entry Point flag (bit 15): set on key-signing keys.
    public static let secureEntryPointFlag: UInt16 = 0x0001
    /// Revoke flag (bit 8, RFC 5011).
    public static let revokeFlag: UInt16 = 0x0080

    public var flags: UInt16
    /// Always 3 (RFC 4034 §2.1.2).
    public var protocolValue: UInt8
    public var algorithm: DNSSECAlgorithm
    /// The public key in the algorithm's DNS form (for algorithm 13: the 64-octet x||y, RFC 6605 §4).
    public var publicKey: [UInt8]

    public init(flags: UInt16, protocolValue: UInt8 = 3, algorithm: DNSSECAlgorithm, publicKey: [UInt8]) {
        self.flags = flags
        self.protocolValue = protocolValue
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    /// Whether the key may sign zone data (Zone Key flag set, not revoked).
    public var isZoneKey: Bool { flags & Self.zoneKeyFlag != 0 && flags & Self.revokeFlag == 0 }
    /// Whether the key is marked a key-signing key (SEP flag).
    public var isSecureEntryPoint: Bool { flags & Self.secureEntryPointFlag != 0 }

    /// The key tag of RFC 4034 Appendix B (the algorithm-1 special case is not supported: it is obsolete).
    public var keyTag: UInt16 {
        var w = WireWriter()
        encode(into: &w, canonical: true)
        var acc: UInt32 = 0
        for (i, b) in w.bytes.enumerated() { acc &+= (i & 1) == 0 ? UInt32(b) << 8 : UInt32(b) }
        acc &+= (acc >> 16) & 0xFFFF
        return UInt16(acc & 0xFFFF)
    }

    init(wire reader: inout WireReader) throws {
        flags = try reader.readUInt16()
        protocolValue = try reader.readUInt8()
        algorithm = DNSSECAlgorithm(rawValue: try reader.readUInt8())
        publicKey = reader.readRemaining()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeUInt16(flags)
        writer.writeUInt8(protocolValue)
        writer.writeUInt8(algorithm.rawValue)
        writer.writeBytes(publicKey)
    }

    init(presentation fields: inout PresentationFields) throws {
        flags = try fields.integer("DNSKEY flags")
        protocolValue = try fields.integer("DNSKEY protocol")
        algorithm = DNSSECAlgorithm(rawValue: try fields.integer("DNSKEY algorithm"))
        publicKey = try Base64.decode(fields.rest("DNSKEY public key"))
    }

    public var presentation: String {
        "\(flags) \(protocolValue) \(algorithm.rawValue) \(Base64.encode(publicKey))"
    }
}
