// RFC 6698 §2.1:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Cert. Usage  |   Selector    | Matching Type |               /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               /
//  /                 Certificate Association Data                  /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// A DANE TLSA record (RFC 6698, acronyms from RFC 7218): binds a certificate or key to a name.
public struct TLSA: RDataCoding {
    static let recordType = RecordType.tlsa

    /// Certificate usage (RFC 6698 §2.1.1), an open set.
    public struct CertificateUsage: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// PKIX-TA(0): a CA that must also pass PKIX validation.
        public static let pkixTA = Self(rawValue: 0)
        /// PKIX-EE(1): the end-entity certificate, with PKIX validation.
        public static let pkixEE = Self(rawValue: 1)
        /// DANE-TA(2): a trust anchor asserted by DNS alone.
        public static let daneTA = Self(rawValue: 2)
        /// DANE-EE(3): the end-entity certificate or key, asserted by DNS alone.
        public static let daneEE = Self(rawValue: 3)
    }

    /// Which part of the certificate is matched (RFC 6698 §2.1.2), an open set.
    public struct Selector: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Cert(0): the full DER certificate.
        public static let fullCertificate = Self(rawValue: 0)
        /// SPKI(1): the DER SubjectPublicKeyInfo.
        public static let subjectPublicKeyInfo = Self(rawValue: 1)
    }

    /// How the association data is presented (RFC 6698 §2.1.3), an open set.
    public struct MatchingType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Full(0): the selected content itself.
        public static let full = Self(rawValue: 0)
        /// SHA2-256(1).
        public static let sha256 = Self(rawValue: 1)
        /// SHA2-512(2).
        public static let sha512 = Self(rawValue: 2)
    }

    public var usage: CertificateUsage
    public var selector: Selector
    public var matchingType: MatchingType
    /// The certificate association data (a digest, or DER for matching type Full).
    public var data: [UInt8]

    public init(usage: CertificateUsage, selector: Selector, matchingType: MatchingType, data: [UInt8]) {
        self.usage = usage
        self.selector = selector
        self.matchingType = matchingType
        self.data = data
    }

    init(wire reader: inout WireReader) throws {
        usage = CertificateUsage(rawValue: try reader.readUInt8())
        selector = Selector(rawValue: try reader.readUInt8())
        matchingType = MatchingType(rawValue: try reader.readUInt8())
        data = reader.readRemaining()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeUInt8(usage.rawValue)
        writer.writeUInt8(selector.rawValue)
        writer.writeUInt8(matchingType.rawValue)
        writer.writeBytes(data)
    }

    init(presentation fields: inout PresentationFields) throws {
        usage = CertificateUsage(rawValue: try fields.integer("TLSA usage"))
        selector = Selector(rawValue: try fields.integer("TLSA selector"))
        matchingType = MatchingType(rawValue: try fields.integer("TLSA matching type"))
        data = try Base16.decode(fields.rest("TLSA association data"))
    }

    public var presentation: String {
        "\(usage.rawValue) \(selector.rawValue) \(matchingType.rawValue) \(Base16.encode(data))"
    }
}
