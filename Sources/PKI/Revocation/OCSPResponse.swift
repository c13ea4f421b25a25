public import Foundation
import SwiftASN1
public import X509

/// A parsed OCSP response (layout above ``OCSPResponder``): for clients of our responder and for round-trip tests.
///
/// Why: an ASP or the demo checks a device's status over OCSP; it needs the per-certificate status and to know the
/// response was signed by the issuing CA (``isSigned(by:)``).
public struct OCSPResponse: Sendable {
    /// One certificate's answer.
    public struct SingleResponse: Hashable, Sendable {
        public let certID: OCSPCertID
        public let status: OCSPCertStatus
        public let thisUpdate: Date
        public let nextUpdate: Date?
    }

    public let status: OCSPResponseStatus
    /// The answers (empty unless ``status`` is `successful`).
    public let responses: [SingleResponse]
    /// The nonce extension's extnValue, if the responder echoed one.
    public let nonceExtensionValue: [UInt8]?
    let tbsBytes: [UInt8]
    let signatureBytes: [UInt8]
    let signatureAlgorithm: ASN1ObjectIdentifier?

    /// Parses a DER OCSPResponse; limits: `maxBytes` (default 64 KiB).
    public init(derEncoded bytes: [UInt8], maxBytes: Int = 65_536) throws {
        guard bytes.count <= maxBytes else {
            throw PKIError.malformed("the OCSP response is larger than \(maxBytes) bytes")
        }
        do {
            let root = try DER.parse(bytes)
            var basicBytes: ArraySlice<UInt8>?
            status = try DER.sequence(root, identifier: .sequence) { nodes in
                guard let statusNode = nodes.next() else { throw PKIError.malformed("no responseStatus") }
                let status = OCSPResponseStatus(rawValue: try Int(derEncoded: statusNode, withIdentifier: .enumerated))
                if let responseBytes = nodes.next() {
                    basicBytes = try DER.explicitlyTagged(responseBytes, tagNumber: 0, tagClass: .contextSpecific) {
                        node in
                        try DER.sequence(node, identifier: .sequence) { fields in
                            let type = try ASN1ObjectIdentifier(derEncoded: &fields)
                            guard type == OCSPResponseStatus.basicResponseOID else {
                                throw PKIError.malformed("response type \(type) is not id-pkix-ocsp-basic")
                            }
                            return try ASN1OctetString(derEncoded: &fields).bytes
                        }
                    }
                }
                return status
            }
            guard let basicBytes else {
                guard status != .successful else {
                    throw PKIError.malformed("a successful response without responseBytes")
                }
                responses = []
                nonceExtensionValue = nil
                tbsBytes = []
                signatureBytes = []
                signatureAlgorithm = nil
                return
            }
            let basic = try DER.parse(basicBytes)
            var parsed: (responses: [SingleResponse], nonce: [UInt8]?) = ([], nil)
            (tbsBytes, signatureAlgorithm, signatureBytes) = try DER.sequence(basic, identifier: .sequence) { nodes in
                guard let tbs = nodes.next(), let algorithm = nodes.next(), let signature = nodes.next() else {
                    throw PKIError.malformed("BasicOCSPResponse is incomplete")
                }
                _ = nodes.next()
                parsed = try Self.parseResponseData(tbs)
                return (
                    Array(tbs.encodedBytes), try AlgorithmIdentifiers.parseOID(algorithm),
                    Array(try ASN1BitString(derEncoded: signature).bytes)
                )
            }
            responses = parsed.responses
            nonceExtensionValue = parsed.nonce
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.malformed("not a DER OCSPResponse (RFC 6960 §4.2.1): \(error)")
        }
    }

    private static func parseResponseData(_ node: ASN1Node) throws -> ([SingleResponse], [UInt8]?) {
        try DER.sequence(node, identifier: .sequence) { fields in
            var next = fields.next()
            if let current = next, current.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                next = fields.next()
            }
            guard next != nil else { throw PKIError.malformed("no responderID") }  // responderID
            _ = try GeneralizedTime(derEncoded: &fields)  // producedAt
            guard let list = fields.next() else { throw PKIError.malformed("no responses") }
            var responses: [SingleResponse] = []
            try DER.sequence(list, identifier: .sequence) { items in
                while let item = items.next() { responses.append(try parseSingle(item)) }
            }
            var nonce: [UInt8]?
            if let extensionsNode = fields.next() {
                let extensions = try DER.explicitlyTagged(extensionsNode, tagNumber: 1, tagClass: .contextSpecific) {
                    try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                }
                nonce = extensions.first { $0.oid == OCSPRequest.nonceOID }.map { Array($0.value) }
            }
            return (responses, nonce)
        }
    }

    private static func parseSingle(_ node: ASN1Node) throws -> SingleResponse {
        try DER.sequence(node, identifier: .sequence) { fields in
            guard let certIDNode = fields.next(), let statusNode = fields.next() else {
                throw PKIError.malformed("SingleResponse is incomplete")
            }
            let certID = try OCSPCertID(derEncoded: certIDNode)
            let status: OCSPCertStatus
            switch statusNode.identifier {
            case ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific): status = .good
            case ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific): status = .unknown
            case ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific):
                guard case .constructed(let children) = statusNode.content else {
                    throw PKIError.malformed("bad RevokedInfo")
                }
                var iterator = children.makeIterator()
                let time = try GeneralizedTime(derEncoded: &iterator)
                var reason: CRLReason?
                if let reasonNode = iterator.next() {
                    reason = try DER.explicitlyTagged(reasonNode, tagNumber: 0, tagClass: .contextSpecific) {
                        try CRLReason(derEncoded: $0)
                    }
                }
                guard let date = ASN1Time.date(time) else { throw PKIError.malformed("bad revocationTime") }
                status = .revoked(time: date, reason: reason)
            default:
                throw PKIError.malformed("unknown CertStatus tag")
            }
            let thisUpdate = try GeneralizedTime(derEncoded: &fields)
            var nextUpdate: Date?
            if let nextNode = fields.next(),
                nextNode.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
            {
                nextUpdate = ASN1Time.date(
                    try DER.explicitlyTagged(nextNode, tagNumber: 0, tagClass: .contextSpecific) {
                        try GeneralizedTime(derEncoded: $0)
                    }
                )
            }
            while fields.next() != nil {}
            guard let this = ASN1Time.date(thisUpdate) else { throw PKIError.malformed("bad thisUpdate") }
            return SingleResponse(certID: certID, status: status, thisUpdate: this, nextUpdate: nextUpdate)
        }
    }

    /// Whether the BasicOCSPResponse's signature verifies with `signer`'s key (the issuing CA).
    public func isSigned(by signer: Certificate) -> Bool {
        guard let signatureAlgorithm else { return false }
        return AlgorithmIdentifiers.verify(
            publicKey: signer.publicKey, algorithm: signatureAlgorithm, signature: signatureBytes, message: tbsBytes
        )
    }
}
