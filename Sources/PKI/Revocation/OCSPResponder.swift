import Crypto
public import Foundation
import SwiftASN1
public import X509

/// What the registry knows about one certificate, for an OCSP answer.
public enum OCSPCertStatus: Hashable, Sendable {
    /// Issued by us and not revoked.
    case good
    /// Revoked at `time`, for `reason` (nil leaves the reason out).
    case revoked(time: Date, reason: CRLReason?)
    /// Not a certificate we know (never issued, or from another CA).
    case unknown
}

// RFC 6960 §4.2.1 (EXPLICIT TAGS)
// OCSPResponse ::= SEQUENCE {
//    responseStatus         OCSPResponseStatus,
//    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
// OCSPResponseStatus ::= ENUMERATED { successful (0), malformedRequest (1), internalError (2), tryLater (3),
//                                     sigRequired (5), unauthorized (6) }
// ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
// BasicOCSPResponse ::= SEQUENCE {
//    tbsResponseData      ResponseData,
//    signatureAlgorithm   AlgorithmIdentifier,
//    signature            BIT STRING,
//    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
// ResponseData ::= SEQUENCE {
//    version              [0] EXPLICIT Version DEFAULT v1,
//    responderID              ResponderID,
//    producedAt               GeneralizedTime,
//    responses                SEQUENCE OF SingleResponse,
//    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
// ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }      -- KeyHash ::= OCTET STRING (SHA-1)
// SingleResponse ::= SEQUENCE {
//    certID                       CertID,
//    certStatus                   CertStatus,
//    thisUpdate                   GeneralizedTime,
//    nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
//    singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
// RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
/// The OCSP responder's logic (RFC 6960), without HTTP: DER request in, DER response out.
///
/// Why a closure for status: the registry keeps issued and revoked serials in its own tables. The responder matches
/// each CertID against its issuing CAs (SHA-1 or SHA-256 issuer hashes), asks `lookup` with the CA's key identifier
/// and the serial, and signs one BasicOCSPResponse with that CA's key directly (RFC 6960 §4.2.2.2, the CA itself
/// is an authorised responder). CertIDs of issuers we do not have are answered `unknown` without a lookup.
public struct OCSPResponder: Sendable {
    /// The CAs this responder answers for (usually the issuing CAs).
    public let authorities: [CertificateAuthority]
    /// How long an answer may be cached: `nextUpdate - thisUpdate` (default one hour).
    public var responseValidity: TimeInterval
    /// Delegated responders, used instead of the CA key for the CA that issued them.
    public let delegates: [OCSPDelegate]

    private struct Hashes: Sendable {
        let authority: CertificateAuthority
        let sha1Name: [UInt8], sha1Key: [UInt8], sha256Name: [UInt8], sha256Key: [UInt8]
    }
    private let hashes: [Hashes]

    /// - Parameters:
    ///   - authorities: the CAs to answer for.
    ///   - delegates: optional delegated responders; a CA with one has its answers signed by the delegate.
    ///   - responseValidity: `nextUpdate - thisUpdate` of each answer.
    public init(
        authorities: [CertificateAuthority], delegates: [OCSPDelegate] = [], responseValidity: TimeInterval = 3_600
    ) {
        self.authorities = authorities
        self.delegates = delegates
        self.responseValidity = responseValidity
        hashes = authorities.map { authority in
            var name = DER.Serializer()
            try? name.serialize(authority.certificate.subject)
            let key = Array(authority.certificate.publicKey.subjectPublicKeyInfoBytes)
            return Hashes(
                authority: authority,
                sha1Name: Array(Insecure.SHA1.hash(data: name.serializedBytes)),
                sha1Key: Array(Insecure.SHA1.hash(data: key)),
                sha256Name: Array(SHA256.hash(data: name.serializedBytes)), sha256Key: Array(SHA256.hash(data: key))
            )
        }
    }

    /// The CA a CertID names, if it is one of ours.
    public func authority(for certID: OCSPCertID) -> CertificateAuthority? {
        hashes.first { h in
            switch certID.hashAlgorithm {
            case AlgorithmIdentifiers.sha1:
                return h.sha1Name == certID.issuerNameHash && h.sha1Key == certID.issuerKeyHash
            case AlgorithmIdentifiers.sha256:
                return h.sha256Name == certID.issuerNameHash && h.sha256Key == certID.issuerKeyHash
            default: return false
            }
        }?.authority
    }

    /// Answers a DER OCSPRequest. Never throws: a malformed request gets a `malformedRequest` response, a failing
    /// lookup or signer an `internalError` one, as RFC 6960 §2.3 wants.
    public func respond(
        to request: [UInt8],
        now: Date = Date(),
        lookup: (KeyIdentifier, Certificate.SerialNumber) throws -> OCSPCertStatus
    ) -> [UInt8] {
        guard let parsed = try? OCSPRequest(derEncoded: request) else { return Self.errorResponse(.malformedRequest) }
        do {
            return try respond(to: parsed, now: now, lookup: lookup)
        } catch {
            return Self.errorResponse(.internalError)
        }
    }

    /// Answers a parsed request; throws when the lookup or the signer fails.
    public func respond(
        to request: OCSPRequest,
        now: Date = Date(),
        lookup: (KeyIdentifier, Certificate.SerialNumber) throws -> OCSPCertStatus
    ) throws -> [UInt8] {
        guard let signerCA = request.certIDs.lazy.compactMap({ self.authority(for: $0) }).first ?? authorities.first
        else {
            return Self.errorResponse(.unauthorized)
        }
        var answers: [(OCSPCertID, OCSPCertStatus)] = []
        for certID in request.certIDs {
            if let ca = authority(for: certID), ca.keyIdentifier == signerCA.keyIdentifier {
                answers.append((certID, try lookup(ca.keyIdentifier, certID.serialNumber)))
            } else {
                answers.append((certID, .unknown))
            }
        }
        let delegate = delegates.first { d in
            d.certificate.issuer == signerCA.certificate.subject
                && (try? d.certificate.extensions.authorityKeyIdentifier?.keyIdentifier).flatMap { $0.map(Array.init) }
                    == signerCA.keyIdentifier.bytes
        }
        let signer: (certificate: Certificate, key: any KeyStoreSigner) =
            delegate.map { ($0.certificate, $0.signer) } ?? (signerCA.certificate, signerCA.signer)
        let basic = try Self.basicResponse(
            signer: signer, answers: answers, nonce: request.nonceExtensionValue, now: now, validity: responseValidity
        )
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try OCSPResponseStatus.successful.rawValue.serialize(into: &coder, withIdentifier: .enumerated)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(OCSPResponseStatus.basicResponseOID)
                    try coder.serialize(ASN1OctetString(contentBytes: basic[...]))
                }
            }
        }
        return coder.serializedBytes
    }

    static func errorResponse(_ status: OCSPResponseStatus) -> [UInt8] {
        // SEQUENCE { ENUMERATED status }: constant shape, cannot fail.
        [0x30, 0x03, 0x0A, 0x01, UInt8(truncatingIfNeeded: status.rawValue)]
    }

    private static func basicResponse(
        signer: (certificate: Certificate, key: any KeyStoreSigner),
        answers: [(OCSPCertID, OCSPCertStatus)],
        nonce: [UInt8]?,
        now: Date,
        validity: TimeInterval
    ) throws -> [UInt8] {
        let produced = try ASN1Time.generalizedTime(now)
        let next = try ASN1Time.generalizedTime(now + validity)
        let responderKeyHash = KeyIdentifier(publicKey: signer.certificate.publicKey).bytes
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { coder in
                try coder.serialize(ASN1OctetString(contentBytes: responderKeyHash[...]))
            }
            try coder.serialize(produced)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                for (certID, status) in answers {
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        coder.serializeRawBytes(certID.derBytes)
                        switch status {
                        case .good:
                            coder.appendPrimitiveNode(
                                identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                            ) { _ in }
                        case .revoked(let time, let reason):
                            try coder.appendConstructedNode(
                                identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
                            ) {
                                coder in
                                try coder.serialize(try ASN1Time.generalizedTime(time))
                                if let reason {
                                    try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) {
                                        try reason.serialize(into: &$0)
                                    }
                                }
                            }
                        case .unknown:
                            coder.appendPrimitiveNode(
                                identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)
                            ) { _ in }
                        }
                        try coder.serialize(produced)
                        try coder.serialize(next, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
                    }
                }
            }
            if let nonce {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(
                            Certificate.Extension(oid: OCSPRequest.nonceOID, critical: false, value: nonce[...]))
                    }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try signer.key.sign(tbsBytes)
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbsBytes)
            try AlgorithmIdentifiers.serializeSignature(signer.key.algorithm.signatureAlgorithm, into: &coder)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(signer.certificate) }
            }
        }
        return coder.serializedBytes
    }
}

/// The outcome of an OCSP exchange as a whole (not per certificate); an open set of RFC 6960 code points.
public struct OCSPResponseStatus: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let successful = OCSPResponseStatus(rawValue: 0)
    public static let malformedRequest = OCSPResponseStatus(rawValue: 1)
    public static let internalError = OCSPResponseStatus(rawValue: 2)
    public static let tryLater = OCSPResponseStatus(rawValue: 3)
    public static let sigRequired = OCSPResponseStatus(rawValue: 5)
    public static let unauthorized = OCSPResponseStatus(rawValue: 6)

    static let basicResponseOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
}
