import Crypto
public import SwiftASN1
public import X509

// RFC 6960 §4.1.1 (module OCSP-2013-88: EXPLICIT TAGS)
// OCSPRequest ::= SEQUENCE {
//     tbsRequest                  TBSRequest,
//     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
// TBSRequest ::= SEQUENCE {
//     version             [0]     EXPLICIT Version DEFAULT v1,
//     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
//     requestList                 SEQUENCE OF Request,
//     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
// Request ::= SEQUENCE {
//     reqCert                     CertID,
//     singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
// CertID ::= SEQUENCE {
//     hashAlgorithm       AlgorithmIdentifier,
//     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
//     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
//     serialNumber        CertificateSerialNumber }
/// An OCSP request as our responder reads it: the CertIDs asked about and the nonce to echo.
///
/// Why only these: a signed request (optionalSignature) is accepted but not checked, as most responders do.
public struct OCSPRequest: Sendable {
    /// The certificates asked about, in request order.
    public let certIDs: [OCSPCertID]
    /// The id-pkix-ocsp-nonce extension's extnValue, echoed back unchanged (RFC 8954).
    public let nonceExtensionValue: [UInt8]?

    static let nonceOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]

    /// Parses a DER OCSPRequest; limits: `maxBytes` (default 8 KiB) and `maxCertIDs` (default 32).
    public init(derEncoded bytes: [UInt8], maxBytes: Int = 8_192, maxCertIDs: Int = 32) throws {
        guard bytes.count <= maxBytes else {
            throw PKIError(.malformedRequest, "the OCSP request is \(bytes.count) bytes; the limit is \(maxBytes)")
        }
        do {
            let root = try DER.parse(bytes)
            (certIDs, nonceExtensionValue) = try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next() else { throw PKIError(.malformedRequest, "no TBSRequest") }
                _ = nodes.next()  // optionalSignature, not checked
                return try DER.sequence(tbs, identifier: .sequence) { fields in
                    var node = fields.next()
                    if let current = node,
                        current.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                    {
                        let version = try DER.explicitlyTagged(current, tagNumber: 0, tagClass: .contextSpecific) {
                            try Int(derEncoded: $0)
                        }
                        guard version == 0 else {
                            throw PKIError(.malformedRequest, "OCSP request version \(version) is not v1")
                        }
                        node = fields.next()
                    }
                    if let current = node,
                        current.identifier == ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
                    {
                        node = fields.next()
                    }
                    guard let list = node else {
                        throw PKIError(.malformedRequest, "the OCSP request has no requestList")
                    }
                    var ids: [OCSPCertID] = []
                    try DER.sequence(list, identifier: .sequence) { requests in
                        while let request = requests.next() {
                            guard ids.count < maxCertIDs else {
                                throw PKIError(.malformedRequest, "more than \(maxCertIDs) CertIDs in one OCSP request")
                            }
                            ids.append(
                                try DER.sequence(request, identifier: .sequence) { parts in
                                    guard let certID = parts.next() else {
                                        throw PKIError(.malformedRequest, "Request without CertID")
                                    }
                                    _ = parts.next()
                                    return try OCSPCertID(derEncoded: certID)
                                })
                        }
                    }
                    guard !ids.isEmpty else {
                        throw PKIError(.malformedRequest, "the OCSP request asks about no certificate")
                    }
                    var nonce: [UInt8]?
                    if let extensionsNode = fields.next() {
                        let extensions = try DER.explicitlyTagged(
                            extensionsNode, tagNumber: 2, tagClass: .contextSpecific
                        ) {
                            try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                        }
                        nonce = extensions.first { $0.oid == Self.nonceOID }.map { Array($0.value) }
                    }
                    return (ids, nonce)
                }
            }
        } catch let error as PKIError {
            throw PKIError(.malformedRequest, error.reason)
        } catch {
            throw PKIError(.malformedRequest, "not a DER OCSPRequest (RFC 6960 §4.1.1): \(error)")
        }
    }
}

/// One CertID: which certificate (issuer hashes + serial) a request asks about.
public struct OCSPCertID: Hashable, Sendable {
    /// The hash used for the issuer hashes (SHA-1 as openssl sends by default, or SHA-256).
    public let hashAlgorithm: ASN1ObjectIdentifier
    public let issuerNameHash: [UInt8]
    public let issuerKeyHash: [UInt8]
    public let serialNumber: Certificate.SerialNumber
    /// The CertID exactly as received, echoed in the response so the client matches it byte for byte.
    let derBytes: [UInt8]

    init(derEncoded node: ASN1Node) throws {
        (hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber) = try DER.sequence(node, identifier: .sequence) {
            fields in
            guard let algorithm = fields.next() else {
                throw PKIError(.malformedRequest, "CertID without hashAlgorithm")
            }
            let oid = try AlgorithmIdentifiers.parseOID(algorithm)
            let name = try ASN1OctetString(derEncoded: &fields)
            let key = try ASN1OctetString(derEncoded: &fields)
            let serial = try ArraySlice<UInt8>(derEncoded: &fields)
            return (oid, Array(name.bytes), Array(key.bytes), Certificate.SerialNumber(bytes: serial))
        }
        derBytes = Array(node.encodedBytes)
    }
}

extension OCSPRequest {
    /// Builds a DER OCSPRequest for `certificate` issued by `issuer` (SHA-1 CertID, as openssl sends), with an
    /// optional nonce: for the demo and for ASPs that check a device over OCSP.
    public static func derEncoded(for certificate: Certificate, issuer: Certificate, nonce: [UInt8]? = nil) throws
        -> [UInt8]
    {
        var name = DER.Serializer()
        try name.serialize(issuer.subject)
        let nameHash = Array(Insecure.SHA1.hash(data: name.serializedBytes))
        let keyHash = Array(Insecure.SHA1.hash(data: issuer.publicKey.subjectPublicKeyInfoBytes))
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try AlgorithmIdentifiers.serializeDigest(AlgorithmIdentifiers.sha1, into: &coder)
                            try coder.serialize(ASN1OctetString(contentBytes: nameHash[...]))
                            try coder.serialize(ASN1OctetString(contentBytes: keyHash[...]))
                            try coder.serialize(certificate.serialNumber.bytes)
                        }
                    }
                }
                if let nonce {
                    var value = DER.Serializer()
                    try value.serialize(ASN1OctetString(contentBytes: nonce[...]))
                    try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(
                                Certificate.Extension(oid: nonceOID, critical: false, value: value.serializedBytes[...])
                            )
                        }
                    }
                }
            }
        }
        return coder.serializedBytes
    }
}
