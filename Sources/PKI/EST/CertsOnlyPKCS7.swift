public import Foundation
import SwiftASN1
public import X509

// RFC 5652 §3, §5.1; RFC 7030 §4.1.3 and §4.2.3 ("certs-only" CMC Simple PKI Response, RFC 5272 §4.1)
// ContentInfo ::= SEQUENCE {
//     contentType ContentType,                       -- id-signedData 1.2.840.113549.1.7.2
//     content [0] EXPLICIT ANY DEFINED BY contentType }
// SignedData ::= SEQUENCE {
//     version CMSVersion,                            -- 1
//     digestAlgorithms DigestAlgorithmIdentifiers,   -- empty SET
//     encapContentInfo EncapsulatedContentInfo,      -- SEQUENCE { id-data 1.2.840.113549.1.7.1 }, no eContent
//     certificates [0] IMPLICIT CertificateSet OPTIONAL,
//     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//     signerInfos SignerInfos }                      -- empty SET
/// A degenerate, signer-less CMS SignedData carrying certificates: EST's answer format.
///
/// Why: EST `/cacerts`, `/simpleenroll` and `/simplereenroll` answer `application/pkcs7-mime` with a certs-only
/// SignedData, base64-encoded (RFC 7030 §4.1.3); `openssl pkcs7 -print_certs` and EST clients read it.
public enum CertsOnlyPKCS7 {
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 2]
    static let data: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 1]

    /// The DER ContentInfo holding `certificates` in the given order (the issued certificate first, by convention).
    public static func derEncoded(_ certificates: [Certificate]) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(signedData)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(1)
                    coder.appendConstructedNode(identifier: .set) { _ in }
                    try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(data) }
                    try coder.appendConstructedNode(
                        identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                    ) {
                        coder in
                        for certificate in certificates { try coder.serialize(certificate) }
                    }
                    coder.appendConstructedNode(identifier: .set) { _ in }
                }
            }
        }
        return coder.serializedBytes
    }

    /// The same, base64 with 64-character lines and CRLF, as an EST response body
    /// (`Content-Type: application/pkcs7-mime; smime-type=certs-only`, `Content-Transfer-Encoding: base64`).
    public static func estBase64(_ certificates: [Certificate]) throws -> String {
        Data(try derEncoded(certificates)).base64EncodedString(options: [
            .lineLength64Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ]) + "\r\n"
    }

    /// Reads the certificates out of a certs-only SignedData (DER, or base64 as EST sends it).
    public static func certificates(from bytes: [UInt8], maxBytes: Int = 262_144) throws -> [Certificate] {
        guard bytes.count <= maxBytes else { throw PKIError.malformed("the PKCS#7 is larger than \(maxBytes) bytes") }
        var der = bytes
        if bytes.first != 0x30 {
            let text = String(decoding: bytes.filter { $0 > 0x20 }, as: UTF8.self)
            guard let decoded = Data(base64Encoded: text) else {
                throw PKIError.malformed("neither DER nor base64 PKCS#7")
            }
            der = Array(decoded)
        }
        do {
            let root = try DER.parse(der)
            return try DER.sequence(root, identifier: .sequence) { nodes in
                guard try ASN1ObjectIdentifier(derEncoded: &nodes) == signedData, let content = nodes.next() else {
                    throw PKIError.malformed("the ContentInfo is not id-signedData")
                }
                return try DER.explicitlyTagged(content, tagNumber: 0, tagClass: .contextSpecific) { signed in
                    try DER.sequence(signed, identifier: .sequence) { fields in
                        var certificates: [Certificate] = []
                        while let field = fields.next() {
                            guard field.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific),
                                case .constructed(let children) = field.content
                            else { continue }
                            for child in children { certificates.append(try Certificate(derEncoded: child)) }
                        }
                        return certificates
                    }
                }
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.malformed("not a CMS SignedData (RFC 5652): \(error)")
        }
    }
}
