public import SwiftASN1
public import X509

// RFC 5280 §4.2.1.13 (module PKIX1Implicit88: IMPLICIT TAGS)
// CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
// DistributionPoint ::= SEQUENCE {
//      distributionPoint       [0]     DistributionPointName OPTIONAL,
//      reasons                 [1]     ReasonFlags OPTIONAL,
//      cRLIssuer               [2]     GeneralNames OPTIONAL }
// DistributionPointName ::= CHOICE {
//      fullName                [0]     GeneralNames,
//      nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
/// The CRL distribution points extension (swift-certificates has no type for it): one URI per point.
///
/// Why: relying parties that do not speak OCSP (and `openssl verify -crl_download`) fetch the CRL from here.
public struct CRLDistributionPoints: Hashable, Sendable, CertificateExtensionConvertible {
    /// The CRL URLs, one distribution point each.
    public var uris: [String]

    public init(uris: [String]) { self.uris = uris }

    /// The extension's OID, id-ce-cRLDistributionPoints (2.5.29.31).
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 31]

    public func makeCertificateExtension() throws -> Certificate.Extension {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            for uri in uris {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(
                        identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                    ) {
                        coder in
                        try coder.appendConstructedNode(
                            identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                        ) {
                            coder in
                            try coder.serialize(GeneralName.uniformResourceIdentifier(uri))
                        }
                    }
                }
            }
        }
        return Certificate.Extension(oid: Self.oid, critical: false, value: coder.serializedBytes[...])
    }

    /// Reads the URIs back out of a certificate's extension (full names that are URIs only).
    public init(_ ext: Certificate.Extension) throws {
        guard ext.oid == Self.oid else { throw PKIError.malformed("extension \(ext.oid) is not cRLDistributionPoints") }
        let tag0 = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
        do {
            let root = try DER.parse(ext.value)
            uris = try DER.sequence(root, identifier: .sequence) { points in
                var uris: [String] = []
                while let point = points.next() {
                    try DER.sequence(point, identifier: .sequence) { fields in
                        while let field = fields.next() {
                            guard field.identifier == tag0, case .constructed(let names) = field.content else {
                                continue
                            }
                            for name in names where name.identifier == tag0 {
                                guard case .constructed(let generalNames) = name.content else { continue }
                                for generalName in generalNames {
                                    if case .uniformResourceIdentifier(let uri) = try GeneralName(
                                        derEncoded: generalName)
                                    {
                                        uris.append(uri)
                                    }
                                }
                            }
                        }
                    }
                }
                return uris
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.malformed("cRLDistributionPoints does not parse: \(error)")
        }
    }
}
