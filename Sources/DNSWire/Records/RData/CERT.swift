// RFC 4398 §2:
//                       1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |             type              |             key tag           |
//  +---------------+---------------+-------------------------------+
//  |   algorithm   |                                               /
//  +---------------+            certificate or CRL                 /
//  /                                                               /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-|

/// A CERT record (RFC 4398) carrying a certificate, e.g. type PKIX with a DER X.509 certificate.
public struct CERT: RDataCoding {
    static let recordType = RecordType.cert

    /// The certificate type (RFC 4398 §2.1), an open set.
    public struct CertificateType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// PKIX: an X.509 certificate as in RFC 5280, DER.
        public static let pkix = Self(rawValue: 1)
        public static let spki = Self(rawValue: 2)
        public static let pgp = Self(rawValue: 3)
        /// IPKIX: the URL of an X.509 certificate.
        public static let ipkix = Self(rawValue: 4)
        public static let ispki = Self(rawValue: 5)
        public static let ipgp = Self(rawValue: 6)
        public static let acpkix = Self(rawValue: 7)
        public static let iacpkix = Self(rawValue: 8)
        public static let uri = Self(rawValue: 253)
        public static let oid = Self(rawValue: 254)

        static let mnemonics: [String: UInt16] = [
            "PKIX": 1, "SPKI": 2, "PGP": 3, "IPKIX": 4, "ISPKI": 5, "IPGP": 6, "ACPKIX": 7, "IACPKIX": 8,
            "URI": 253, "OID": 254,
        ]

        /// The RFC 4398 §2.2 mnemonic, or the number.
        public var description: String {
            Self.mnemonics.first { $0.value == rawValue }?.key ?? String(rawValue)
        }
    }

    public var certificateType: CertificateType
    /// Key tag of the key that signed the certificate (0 when no DNSSEC key is involved).
    public var keyTag: UInt16
    /// DNSSEC algorithm of that key (0 when none).
    public var algorithm: DNSSECAlgorithm
    /// The certificate (DER for PKIX).
    public var certificate: [UInt8]

    public init(certificateType: CertificateType, keyTag: UInt16, algorithm: DNSSECAlgorithm, certificate: [UInt8]) {
        self.certificateType = certificateType
        self.keyTag = keyTag
        self.algorithm = algorithm
        self.certificate = certificate
    }

    init(wire reader: inout WireReader) throws {
        certificateType = CertificateType(rawValue: try reader.readUInt16())
        keyTag = try reader.readUInt16()
        algorithm = DNSSECAlgorithm(rawValue: try reader.readUInt8())
        certificate = reader.readRemaining()
    }

    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeUInt16(certificateType.rawValue)
        writer.writeUInt16(keyTag)
        writer.writeUInt8(algorithm.rawValue)
        writer.writeBytes(certificate)
    }

    init(presentation fields: inout PresentationFields) throws {
        let t = try fields.next("CERT type")
        if let v = CertificateType.mnemonics[t.uppercased()] ?? UInt16(t) {
            certificateType = CertificateType(rawValue: v)
        } else {
            throw DNSWireError(.unknownMnemonic, "CERT type '\(t)' is neither a number nor an RFC 4398 mnemonic")
        }
        keyTag = try fields.integer("CERT key tag")
        let a = try fields.next("CERT algorithm")
        let algorithms: [String: UInt8] = ["RSASHA256": 8, "ECDSAP256SHA256": 13, "ECDSAP384SHA384": 14, "ED25519": 15]
        guard let av = UInt8(a) ?? algorithms[a.uppercased()] else {
            throw DNSWireError(.unknownMnemonic, "CERT algorithm '\(a)' is not known")
        }
        algorithm = DNSSECAlgorithm(rawValue: av)
        certificate = try Base64.decode(fields.rest("CERT certificate"))
    }

    public var presentation: String {
        "\(certificateType) \(keyTag) \(algorithm.rawValue) \(Base64.encode(certificate))"
    }
}
