public import SwiftASN1

/// Reads the parts of a DER certificate that DANE (RFC 6698) hashes, without building a whole `Certificate`.
///
/// Why: TLSA selector 1 hashes the SubjectPublicKeyInfo exactly as encoded in the certificate; re-encoding a parsed
/// key could differ from the issuer's bytes, so we slice the original encoding.
public enum CertificateDER {
    // Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
    // TBSCertificate ::= SEQUENCE {
    //     version [0] EXPLICIT Version DEFAULT v1, serialNumber, signature, issuer, validity, subject,
    //     subjectPublicKeyInfo SubjectPublicKeyInfo, ... }
    /// The DER bytes of the certificate's SubjectPublicKeyInfo.
    /// - Throws: `ASN1Error` when `der` is not a certificate.
    public static func subjectPublicKeyInfo(_ der: [UInt8]) throws -> [UInt8] {
        let root = try DER.parse(der)
        guard case .constructed(let certificateFields) = root.content,
            let tbs = certificateFields.first(where: { _ in true }),
            case .constructed(let tbsFields) = tbs.content
        else {
            throw ASN1Error.invalidASN1Object(reason: "a certificate is a SEQUENCE holding a TBSCertificate SEQUENCE")
        }
        var fields = Array(tbsFields)
        if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        guard fields.count >= 6, fields[5].identifier == .sequence else {
            throw ASN1Error.invalidASN1Object(reason: "the TBSCertificate has no SubjectPublicKeyInfo in sixth place")
        }
        return Array(fields[5].encodedBytes)
    }
}
