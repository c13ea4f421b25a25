public import Foundation
import SwiftASN1
public import X509

// RFC 5280 §5.1
// CertificateList  ::=  SEQUENCE  {
//      tbsCertList          TBSCertList,
//      signatureAlgorithm   AlgorithmIdentifier,
//      signatureValue       BIT STRING  }
// TBSCertList  ::=  SEQUENCE  {
//      version                 Version OPTIONAL,   -- if present, MUST be v2
//      signature               AlgorithmIdentifier,
//      issuer                  Name,
//      thisUpdate              Time,
//      nextUpdate              Time OPTIONAL,
//      revokedCertificates     SEQUENCE OF SEQUENCE  {
//           userCertificate         CertificateSerialNumber,
//           revocationDate          Time,
//           crlEntryExtensions      Extensions OPTIONAL   -- if present, version MUST be v2
//                                }  OPTIONAL,
//      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL }
// CRLNumber ::= INTEGER (0..MAX)                         -- id-ce-cRLNumber 2.5.29.20
// reasonCode ::= { CRLReason }                           -- id-ce-cRLReasons 2.5.29.21
/// A v2 CRL signed by an issuing CA (swift-certificates has no CRL type, so this one is written with SwiftASN1).
///
/// Why: relying parties without OCSP fetch `/crl/<AKI>.crl`. The registry keeps the revoked serials itself and
/// builds a fresh CRL from that list with ``init(issuer:revoked:crlNumber:thisUpdate:nextUpdate:)``; it carries
/// the CRL number and AKI extensions and, per entry, the revocation date and reason code.
public struct CertificateRevocationList: Sendable {
    /// One revoked certificate.
    public struct Entry: Hashable, Sendable {
        public var serialNumber: Certificate.SerialNumber
        public var revocationDate: Date
        /// nil leaves the reasonCode extension out (RFC 5280 §5.3.1: preferred to `unspecified`).
        public var reason: CRLReason?

        public init(serialNumber: Certificate.SerialNumber, revocationDate: Date, reason: CRLReason? = nil) {
            self.serialNumber = serialNumber
            self.revocationDate = revocationDate
            self.reason = reason
        }
    }

    /// The issuer's name, as in the certificates it issued.
    public let issuer: DistinguishedName
    public let thisUpdate: Date
    public let nextUpdate: Date
    /// Monotonic CRL number (the registry increases it each time it publishes).
    public let crlNumber: UInt64
    /// The issuer's key identifier (the CRL's AKI extension).
    public let authorityKeyIdentifier: KeyIdentifier
    public let entries: [Entry]
    /// The signed CertificateList DER.
    public let derBytes: [UInt8]
    /// The to-be-signed bytes and the signature, kept to verify what was received.
    let tbsBytes: [UInt8]
    let signatureBytes: [UInt8]
    let signatureAlgorithmOID: ASN1ObjectIdentifier

    static let crlNumberOID: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let reasonCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 21]

    /// Builds and signs a CRL listing `revoked`, valid from `thisUpdate` until `nextUpdate` (default 7 days later).
    public init(
        issuer: CertificateAuthority,
        revoked: [Entry],
        crlNumber: UInt64,
        thisUpdate: Date = Date(),
        nextUpdate: Date? = nil
    ) throws {
        let next = nextUpdate ?? thisUpdate + 7 * 86_400
        guard next > thisUpdate else { throw PKIError.invalid("the CRL's nextUpdate must be after thisUpdate") }
        self.issuer = issuer.certificate.subject
        self.thisUpdate = thisUpdate
        self.nextUpdate = next
        self.crlNumber = crlNumber
        self.authorityKeyIdentifier = issuer.keyIdentifier
        self.entries = revoked
        self.signatureAlgorithmOID =
            issuer.signatureAlgorithm == .ecdsaWithSHA384
            ? AlgorithmIdentifiers.ecdsaWithSHA384 : AlgorithmIdentifiers.ecdsaWithSHA256

        var tbs = DER.Serializer()
        let algorithm = issuer.signatureAlgorithm
        let aki = issuer.keyIdentifier
        let issuerName = issuer.certificate.subject
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try AlgorithmIdentifiers.serializeSignature(algorithm, into: &coder)
            try coder.serialize(issuerName)
            try ASN1Time.serializeTime(thisUpdate, into: &coder)
            try ASN1Time.serializeTime(next, into: &coder)
            if !revoked.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for entry in revoked {
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(entry.serialNumber.bytes)
                            try ASN1Time.serializeTime(entry.revocationDate, into: &coder)
                            if let reason = entry.reason {
                                var value = DER.Serializer()
                                try reason.serialize(into: &value)
                                try coder.appendConstructedNode(identifier: .sequence) { coder in
                                    try coder.serialize(
                                        Certificate.Extension(
                                            oid: Self.reasonCodeOID, critical: false, value: value.serializedBytes[...])
                                    )
                                }
                            }
                        }
                    }
                }
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(
                        try Certificate.Extension(
                            AuthorityKeyIdentifier(keyIdentifier: aki.bytes[...]), critical: false)
                    )
                    var number = DER.Serializer()
                    try number.serialize(crlNumber)
                    try coder.serialize(
                        Certificate.Extension(
                            oid: Self.crlNumberOID, critical: false, value: number.serializedBytes[...]))
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signatureBytes = try issuer.signTBS(tbsBytes)
        self.tbsBytes = tbsBytes
        self.signatureBytes = signatureBytes
        var whole = DER.Serializer()
        try whole.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbsBytes)
            try AlgorithmIdentifiers.serializeSignature(algorithm, into: &coder)
            try coder.serialize(ASN1BitString(bytes: signatureBytes[...]))
        }
        derBytes = whole.serializedBytes
    }

    /// Parses a CRL (ours or anyone's v2 CRL with the same shape); does not check the signature, see ``isSigned(by:)``.
    public init(derEncoded bytes: [UInt8]) throws {
        do {
            let root = try DER.parse(bytes)
            var parsed:
                (
                    tbs: [UInt8], sig: [UInt8], alg: ASN1ObjectIdentifier, issuer: DistinguishedName, this: Date,
                    next: Date?, entries: [Entry], number: UInt64?, aki: KeyIdentifier?
                )
            parsed = try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbsNode = nodes.next(), let algNode = nodes.next(), let sigNode = nodes.next() else {
                    throw PKIError.malformed("a CertificateList has three parts")
                }
                let alg = try AlgorithmIdentifiers.parseOID(algNode)
                let signature = try ASN1BitString(derEncoded: sigNode)
                var result = try DER.sequence(tbsNode, identifier: .sequence) { fields in
                    guard let version = try? Int(derEncoded: &fields), version == 1 else {
                        throw PKIError.malformed("only v2 CRLs are read")
                    }
                    guard let sigAlg = fields.next() else { throw PKIError.malformed("TBSCertList lacks signature") }
                    guard try AlgorithmIdentifiers.parseOID(sigAlg) == alg else {
                        throw PKIError.malformed("the inner and outer signature algorithms differ")
                    }
                    let issuer = try DistinguishedName(derEncoded: &fields)
                    guard let thisNode = fields.next() else { throw PKIError.malformed("no thisUpdate") }
                    let this = try ASN1Time.parseTime(thisNode)
                    var next: Date?
                    var entries: [Entry] = []
                    var number: UInt64?
                    var aki: KeyIdentifier?
                    while let node = fields.next() {
                        if node.identifier == UTCTime.defaultIdentifier
                            || node.identifier == GeneralizedTime.defaultIdentifier
                        {
                            next = try ASN1Time.parseTime(node)
                        } else if node.identifier == .sequence {
                            entries = try DER.sequence(node, identifier: .sequence) { list in
                                var entries: [Entry] = []
                                while let entry = list.next() { entries.append(try Self.parseEntry(entry)) }
                                return entries
                            }
                        } else if node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                            let extensions = try DER.explicitlyTagged(node, tagNumber: 0, tagClass: .contextSpecific) {
                                try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                            }
                            for ext in extensions {
                                if ext.oid == Self.crlNumberOID {
                                    number = try UInt64(derEncoded: try DER.parse(ext.value))
                                } else if ext.oid == .X509ExtensionID.authorityKeyIdentifier,
                                    let id = try AuthorityKeyIdentifier(ext).keyIdentifier
                                {
                                    aki = KeyIdentifier(bytes: Array(id))
                                } else if ext.critical {
                                    throw PKIError.malformed("unknown critical CRL extension \(ext.oid)")
                                }
                            }
                        } else {
                            throw PKIError.malformed("unexpected field in TBSCertList")
                        }
                    }
                    return (
                        tbs: [UInt8](), sig: [UInt8](), alg: alg, issuer: issuer, this: this, next: next,
                        entries: entries, number: number, aki: aki
                    )
                }
                result.tbs = Array(tbsNode.encodedBytes)
                result.sig = Array(signature.bytes)
                return result
            }
            guard let next = parsed.next, let number = parsed.number, let aki = parsed.aki else {
                throw PKIError.malformed("the CRL lacks nextUpdate, CRL number or AKI")
            }
            issuer = parsed.issuer
            thisUpdate = parsed.this
            nextUpdate = next
            crlNumber = number
            authorityKeyIdentifier = aki
            entries = parsed.entries
            tbsBytes = parsed.tbs
            signatureBytes = parsed.sig
            signatureAlgorithmOID = parsed.alg
            derBytes = bytes
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.malformed("not a DER CertificateList (RFC 5280 §5): \(error)")
        }
    }

    private static func parseEntry(_ node: ASN1Node) throws -> Entry {
        try DER.sequence(node, identifier: .sequence) { fields in
            let serial = try ArraySlice<UInt8>(derEncoded: &fields)
            guard let dateNode = fields.next() else { throw PKIError.malformed("CRL entry lacks a revocation date") }
            let date = try ASN1Time.parseTime(dateNode)
            var reason: CRLReason?
            if let extensionsNode = fields.next() {
                for ext in try DER.sequence(
                    of: Certificate.Extension.self, identifier: .sequence, rootNode: extensionsNode)
                where ext.oid == reasonCodeOID {
                    reason = try CRLReason(derEncoded: try DER.parse(ext.value))
                }
            }
            return Entry(serialNumber: Certificate.SerialNumber(bytes: serial), revocationDate: date, reason: reason)
        }
    }

    /// Whether the signature verifies with `authority`'s public key.
    public func isSigned(by authority: Certificate) -> Bool {
        AlgorithmIdentifiers.verify(
            publicKey: authority.publicKey, algorithm: signatureAlgorithmOID, signature: signatureBytes,
            message: tbsBytes
        )
    }

    /// The CRL as PEM (`-----BEGIN X509 CRL-----`).
    public var pemString: String { PEMDocument(type: "X509 CRL", derBytes: derBytes).pemString }
}
