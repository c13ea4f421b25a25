import Crypto
public import DNSWire
public import Foundation
import SwiftASN1
import X509

/// The outcome of matching a presented certificate chain against a TLSA RRset (RFC 6698 §2.1, RFC 7671).
public enum TLSAMatchResult: Hashable, Sendable, CustomStringConvertible {
    /// `record` matched the certificate at `certificateIndex` of the presented chain (0 = the leaf).
    case matched(record: TLSA, certificateIndex: Int)
    /// Usable records exist but none matches: for DANE-EE this is a substituted key. `reason` lists why per record.
    case noMatch(reason: String)
    /// No record is usable here: PKIX-TA(0)/PKIX-EE(1) need WebPKI path validation this matcher does not do, and
    /// unknown selectors or matching types are skipped (RFC 6698 §4.1, RFC 7671 §4.1). Callers that rely on DANE
    /// alone must fail closed.
    case unusable(reason: String)

    /// Whether a record matched.
    public var isMatch: Bool { if case .matched = self { true } else { false } }

    public var description: String {
        switch self {
        case .matched(let r, let i): "matched \(r.presentation.prefix(24))… at chain[\(i)]"
        case .noMatch(let reason): "no match: \(reason)"
        case .unusable(let reason): "unusable: \(reason)"
        }
    }
}

/// Matches a presented certificate chain against a TLSA RRset, with the RFC 7671 rules for the DANE usages.
///
/// - DANE-EE (3): the record matches the leaf; names and validity dates are ignored (RFC 7671 §5.1), because
///   the DNSSEC-signed record itself is the binding.
/// - DANE-TA (2): the record matches some certificate the peer presented (chain[1...]), and the leaf chains to it
///   by signature through the presented certificates, each issuer a CA, each certificate below the anchor within
///   its validity dates (RFC 7671 §5.2). Name checks are the caller's (the ASP checks the SAN, the device the host).
/// - PKIX-TA (0) and PKIX-EE (1) are reported unusable: there is no WebPKI here.
/// - Selectors 0 (full certificate) and 1 (SubjectPublicKeyInfo); matching types 0 (exact), 1 (SHA-256),
///   2 (SHA-512). Others make a record unusable.
///
/// ```swift
/// let result = TLSAMatcher.match(chain: [leafDER, caDER], records: tlsaRecords)
/// guard result.isMatch else { refuse(result.description) }
/// ```
public enum TLSAMatcher {
    /// Matches `chain` (DER, leaf first, as presented) against `records`; the first match wins.
    ///
    /// - Parameter now: the time DANE-TA validity dates are checked at.
    public static func match(chain: [[UInt8]], records: [TLSA], now: Date = Date()) -> TLSAMatchResult {
        guard !chain.isEmpty else { return .noMatch(reason: "no certificate presented") }
        var parsed: [Certificate?] = chain.map { try? Certificate(derEncoded: $0) }
        var reasons: [String] = []
        var usable = 0
        for record in records {
            switch record.usage {
            case .daneEE:
                guard let selected = select(record.selector, der: chain[0], certificate: &parsed[0]) else {
                    reasons.append("\(label(record)): selector \(record.selector.rawValue) unusable or leaf unparsable")
                    continue
                }
                guard let same = matches(record, selected) else {
                    reasons.append("\(label(record)): matching type \(record.matchingType.rawValue) unusable")
                    continue
                }
                usable += 1
                if same { return .matched(record: record, certificateIndex: 0) }
                reasons.append("\(label(record)): leaf does not match")
            case .daneTA:
                guard record.selector == .fullCertificate || record.selector == .subjectPublicKeyInfo,
                    [.full, .sha256, .sha512].contains(record.matchingType)
                else {
                    reasons.append("\(label(record)): selector or matching type unusable")
                    continue
                }
                usable += 1
                var found = false
                for i in chain.indices.dropFirst() {
                    guard let selected = select(record.selector, der: chain[i], certificate: &parsed[i]),
                        matches(record, selected) == true
                    else { continue }
                    found = true
                    if let failure = chainsTo(anchorIndex: i, parsed: &parsed, chain: chain, now: now) {
                        reasons.append("\(label(record)): matches chain[\(i)] but \(failure)")
                    } else {
                        return .matched(record: record, certificateIndex: i)
                    }
                }
                if !found { reasons.append("\(label(record)): no presented issuer certificate matches") }
            default:
                reasons.append("\(label(record)): usage \(record.usage.rawValue) (PKIX) needs WebPKI, unusable here")
            }
        }
        if records.isEmpty { return .unusable(reason: "the TLSA RRset is empty") }
        let why = reasons.joined(separator: "; ")
        return usable == 0 ? .unusable(reason: why) : .noMatch(reason: why)
    }

    /// The bytes `selector` picks from a certificate: the DER itself or its SubjectPublicKeyInfo (nil if unknown).
    public static func selectedBytes(_ selector: TLSA.Selector, certificateDER der: [UInt8]) -> [UInt8]? {
        var cert: Certificate? = nil
        return select(selector, der: der, certificate: &cert)
    }

    /// A TLSA record for `certificateDER` (e.g. `3 1 1` for a server or device certificate), as a publisher makes it.
    public static func record(
        for certificateDER: [UInt8], usage: TLSA.CertificateUsage = .daneEE,
        selector: TLSA.Selector = .subjectPublicKeyInfo, matchingType: TLSA.MatchingType = .sha256
    ) -> TLSA? {
        guard let selected = selectedBytes(selector, certificateDER: certificateDER),
            let data = digest(matchingType, selected)
        else { return nil }
        return TLSA(usage: usage, selector: selector, matchingType: matchingType, data: data)
    }

    // MARK: - Internals

    private static func label(_ r: TLSA) -> String {
        "\(r.usage.rawValue) \(r.selector.rawValue) \(r.matchingType.rawValue)"
    }

    private static func select(_ selector: TLSA.Selector, der: [UInt8], certificate: inout Certificate?) -> [UInt8]? {
        switch selector {
        case .fullCertificate: return der
        case .subjectPublicKeyInfo:
            if certificate == nil { certificate = try? Certificate(derEncoded: der) }
            // The whole SubjectPublicKeyInfo DER (RFC 6698 §2.1.2), not just the key bits
            // (`subjectPublicKeyInfoBytes` in swift-certificates is the BIT STRING content only).
            guard let key = certificate?.publicKey else { return nil }
            var serializer = DER.Serializer()
            guard (try? serializer.serialize(key)) != nil else { return nil }
            return serializer.serializedBytes
        default: return nil
        }
    }

    private static func digest(_ type: TLSA.MatchingType, _ bytes: [UInt8]) -> [UInt8]? {
        switch type {
        case .full: bytes
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        default: nil
        }
    }

    /// Whether `record`'s data matches `selected` (nil when the matching type is unknown).
    private static func matches(_ record: TLSA, _ selected: [UInt8]) -> Bool? {
        digest(record.matchingType, selected).map { $0 == record.data }
    }

    /// Checks that chain[0] is signed by chain[1], … up to chain[anchorIndex], each issuer a CA and every
    /// certificate below the anchor within its dates; nil when it holds, else why not.
    private static func chainsTo(anchorIndex: Int, parsed: inout [Certificate?], chain: [[UInt8]], now: Date)
        -> String?
    {
        for j in 0...anchorIndex where parsed[j] == nil {
            parsed[j] = try? Certificate(derEncoded: chain[j])
            if parsed[j] == nil { return "chain[\(j)] does not parse" }
        }
        for j in 0..<anchorIndex {
            guard let child = parsed[j], let issuer = parsed[j + 1] else { return "chain[\(j)] does not parse" }
            guard child.issuer == issuer.subject else { return "chain[\(j)] was not issued by chain[\(j + 1)]" }
            guard issuer.publicKey.isValidSignature(child.signature, for: child) else {
                return "the signature on chain[\(j)] does not verify with chain[\(j + 1)]'s key"
            }
            guard case .some(.isCertificateAuthority) = try? issuer.extensions.basicConstraints else {
                return "chain[\(j + 1)] is not a CA certificate"
            }
            guard child.notValidBefore <= now, now <= child.notValidAfter else {
                return "chain[\(j)] is outside its validity dates"
            }
        }
        return nil
    }
}
