import Crypto
public import DNSWire
public import Foundation

/// Validates DNSSEC data of one zone against trust anchors (RFC 4035 §5, algorithm 13 per RFC 6605).
///
/// Steps: ``validateKeys(_:now:)`` authenticates the zone's DNSKEY RRset with an anchor; ``validate(_:keys:qname:wildcardProof:now:)``
/// checks an answer RRset; ``validateNameError(qname:proof:keys:now:)`` and ``validateNoData(qname:type:proof:keys:now:)``
/// check NSEC denial proofs. Device and ASP middleware use it to trust a TLSA answer.
///
/// ```swift
/// let validator = DNSSECValidator(trustAnchors: try TrustAnchor.parse(dsLine))
/// let verdict = validator.validate(tlsaAnswer, keys: dnskeyAnswer)   // .secure / .insecure / .bogus(reason:)
/// ```
public struct DNSSECValidator: Sendable {
    public var trustAnchors: [TrustAnchor]

    public init(trustAnchors: [TrustAnchor]) { self.trustAnchors = trustAnchors }

    // MARK: - Keys

    /// Authenticates a zone's DNSKEY RRset: an anchored key must be in the set and sign it (RFC 4035 §5.2).
    ///
    /// - Returns: `.insecure` when no anchor is for this zone or above it, `.bogus` when one is but nothing matches.
    public func validateKeys(_ keys: SignedRRSet, now: Date = Date()) -> ValidationResult {
        let zone = keys.rrset.name.lowercased()
        let anchors = trustAnchors.filter { $0.zone == zone }
        guard !anchors.isEmpty else {
            if trustAnchors.contains(where: { zone.isSubdomain(of: $0.zone) }) {
                return .bogus(reason: "no DS chain from the anchor above \(zone) was provided")
            }
            return .insecure
        }
        guard keys.rrset.type == .dnskey else {
            return .bogus(reason: "expected a DNSKEY RRset, got \(keys.rrset.type)")
        }
        let dnskeys = keys.rrset.rdatas.compactMap { if case .dnskey(let k) = $0 { k } else { nil } }
        let anchored = dnskeys.filter { key in anchors.contains { $0.matches(key) } }
        guard !anchored.isEmpty else {
            return .bogus(reason: "no DNSKEY of \(zone) matches the trust anchor (DS hash mismatches key)")
        }
        var reason = "the DNSKEY RRset has no RRSIG"
        for sig in keys.signatures {
            for key in anchored where key.keyTag == sig.keyTag {
                if let failure = Self.verify(keys.rrset, sig, key: key, zone: zone, now: now) {
                    reason = failure
                } else {
                    return .secure
                }
            }
        }
        return .bogus(reason: "DNSKEY RRset: \(reason)")
    }

    // MARK: - Answers

    /// Validates an answer RRset with the zone's DNSKEY RRset.
    ///
    /// - Parameters:
    ///   - qname: the name asked for; when a signature shows wildcard expansion (RRSIG labels < owner labels) the
    ///     answer must come with `wildcardProof`, an NSEC proving `qname` itself does not exist (RFC 4035 §5.3.4).
    public func validate(
        _ answer: SignedRRSet, keys: SignedRRSet, qname: DNSName? = nil, wildcardProof: [SignedRRSet] = [],
        now: Date = Date()
    ) -> ValidationResult {
        let keyVerdict = validateKeys(keys, now: now)
        guard keyVerdict == .secure else { return keyVerdict }
        switch verifyAny(answer, keys: keys, now: now) {
        case .failure(let f): return .bogus(reason: "\(answer.rrset.name) \(answer.rrset.type): \(f.reason)")
        case .success(let sig):
            let owner = answer.rrset.name
            guard Int(sig.labels) < owner.labelCount - (owner.isWildcard ? 1 : 0) else { return .secure }
            // Wildcard expansion: the next-closer name must be proven absent.
            let name = qname ?? owner
            for proof in wildcardProof where proof.rrset.type == .nsec {
                guard case .success = verifyAny(proof, keys: keys, now: now) else { continue }
                for case .nsec(let n) in proof.rrset.rdatas where Self.covers(proof.rrset.name, n.nextName, name) {
                    return .secure
                }
            }
            return .bogus(reason: "\(owner) was synthesised from a wildcard without an NSEC proving it absent")
        }
    }

    // MARK: - Denial of existence

    /// Validates an NXDOMAIN proof (RFC 4035 §5.4): an NSEC covering `qname` and one covering the wildcard at its
    /// closest encloser.
    public func validateNameError(qname: DNSName, proof: [SignedRRSet], keys: SignedRRSet, now: Date = Date())
        -> ValidationResult
    {
        let keyVerdict = validateKeys(keys, now: now)
        guard keyVerdict == .secure else { return keyVerdict }
        let nsecs: [(DNSName, NSEC)]
        switch verifiedNSECs(proof, keys: keys, now: now) {
        case .failure(let f): return .bogus(reason: f.reason)
        case .success(let list): nsecs = list
        }
        guard let (owner, cover) = nsecs.first(where: { Self.covers($0.0, $0.1.nextName, qname) }) else {
            return .bogus(reason: "no NSEC covers \(qname)")
        }
        if cover.nextName.isSubdomain(of: qname) {
            return .bogus(reason: "\(qname) is an empty non-terminal (NSEC next name \(cover.nextName) is below it)")
        }
        if qname.isSubdomain(of: owner) && owner != keys.rrset.name && cover.types.contains(.ns)
            && !cover.types.contains(.soa)
        {
            return .bogus(reason: "the covering NSEC at \(owner) is from a delegation point")
        }
        let encloser = Self.closestEncloser(qname, owner, cover.nextName)
        guard let wildcard = try? encloser.prepending(label: [UInt8(ascii: "*")]) else {
            return .bogus(reason: "cannot build the wildcard below \(encloser)")
        }
        if nsecs.contains(where: { $0.0 == wildcard }) {
            return .bogus(reason: "the wildcard \(wildcard) exists, so \(qname) cannot be NXDOMAIN")
        }
        guard nsecs.contains(where: { Self.covers($0.0, $0.1.nextName, wildcard) }) else {
            return .bogus(reason: "no NSEC proves the wildcard \(wildcard) absent")
        }
        return .secure
    }

    /// Validates a NODATA proof: an NSEC at `qname` without `type` (or CNAME), an empty non-terminal proof, or a
    /// wildcard NODATA proof (RFC 4035 §3.1.3.1, §3.1.3.4).
    public func validateNoData(
        qname: DNSName, type: RecordType, proof: [SignedRRSet], keys: SignedRRSet, now: Date = Date()
    ) -> ValidationResult {
        let keyVerdict = validateKeys(keys, now: now)
        guard keyVerdict == .secure else { return keyVerdict }
        let nsecs: [(DNSName, NSEC)]
        switch verifiedNSECs(proof, keys: keys, now: now) {
        case .failure(let f): return .bogus(reason: f.reason)
        case .success(let list): nsecs = list
        }
        if let (_, here) = nsecs.first(where: { $0.0 == qname }) {
            if here.types.contains(type) || here.types.contains(.cname) {
                return .bogus(reason: "the NSEC at \(qname) lists \(type): the data exists")
            }
            return .secure
        }
        guard let (owner, cover) = nsecs.first(where: { Self.covers($0.0, $0.1.nextName, qname) }) else {
            return .bogus(reason: "no NSEC matches or covers \(qname)")
        }
        if cover.nextName.isSubdomain(of: qname) { return .secure }  // empty non-terminal
        let encloser = Self.closestEncloser(qname, owner, cover.nextName)
        if let wildcard = try? encloser.prepending(label: [UInt8(ascii: "*")]),
            let (_, w) = nsecs.first(where: { $0.0 == wildcard }), !w.types.contains(type), !w.types.contains(.cname)
        {
            return .secure
        }
        return .bogus(reason: "\(qname) does not exist: this is not a NODATA proof")
    }

    // MARK: - Checks

    private func verifyAny(_ set: SignedRRSet, keys: SignedRRSet, now: Date) -> Result<RRSIG, Failure> {
        let zone = keys.rrset.name.lowercased()
        let dnskeys = keys.rrset.rdatas.compactMap { if case .dnskey(let k) = $0 { k } else { nil } }
        var reason = "no RRSIG"
        for sig in set.signatures {
            let candidates = dnskeys.filter { $0.keyTag == sig.keyTag && $0.algorithm == sig.algorithm }
            if candidates.isEmpty { reason = "no DNSKEY with tag \(sig.keyTag)" }
            for key in candidates {
                if let failure = Self.verify(set.rrset, sig, key: key, zone: zone, now: now) {
                    reason = failure
                } else {
                    return .success(sig)
                }
            }
        }
        return .failure(Failure(reason))
    }

    private func verifiedNSECs(_ proof: [SignedRRSet], keys: SignedRRSet, now: Date) -> Result<
        [(DNSName, NSEC)], Failure
    > {
        var out: [(DNSName, NSEC)] = []
        for set in proof where set.rrset.type == .nsec {
            if case .failure(let f) = verifyAny(set, keys: keys, now: now) {
                return .failure(Failure("NSEC at \(set.rrset.name): \(f.reason)"))
            }
            for case .nsec(let n) in set.rrset.rdatas { out.append((set.rrset.name.lowercased(), n)) }
        }
        return .success(out)
    }

    struct Failure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Checks one RRSIG over one RRset with one key (RFC 4035 §5.3.1); nil when valid, else why not.
    static func verify(_ rrset: RRSet, _ sig: RRSIG, key: DNSKEY, zone: DNSName, now: Date) -> String? {
        guard sig.typeCovered == rrset.type else { return "RRSIG covers \(sig.typeCovered), not \(rrset.type)" }
        guard sig.algorithm == .ecdsaP256SHA256, key.algorithm == .ecdsaP256SHA256 else {
            return "algorithm \(sig.algorithm) is not supported (only 13)"
        }
        guard sig.signerName == zone, rrset.name.isSubdomain(of: zone) else {
            return "signer \(sig.signerName) is not the zone \(zone) or does not enclose the owner"
        }
        guard key.isZoneKey, key.protocolValue == 3 else { return "DNSKEY \(key.keyTag) is not a zone key" }
        let ownerLabels = rrset.name.labelCount - (rrset.name.isWildcard ? 1 : 0)
        guard Int(sig.labels) <= ownerLabels else { return "RRSIG labels \(sig.labels) exceed the owner's" }
        let t = SerialNumber(UInt32(truncatingIfNeeded: Int64(now.timeIntervalSince1970)))
        guard !t.isBefore(SerialNumber(sig.inception)) else { return "signature not yet valid (inception in future)" }
        guard !SerialNumber(sig.expiration).isBefore(t) else { return "signature expired" }
        guard sig.signature.count == 64, key.publicKey.count == 64,
            let publicKey = try? P256.Signing.PublicKey(rawRepresentation: key.publicKey),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: sig.signature)
        else { return "malformed key or signature" }
        let input = CanonicalRRSet.signingInput(rrset: rrset, rrsig: sig)
        return publicKey.isValidSignature(signature, for: input) ? nil : "signature does not verify"
    }

    /// Whether `name` lies strictly between an NSEC's owner and next name in canonical order (the last NSEC of a
    /// zone wraps to the apex).
    static func covers(_ owner: DNSName, _ next: DNSName, _ name: DNSName) -> Bool {
        let afterOwner = DNSName.canonicalCompare(owner, name) < 0
        let beforeNext = DNSName.canonicalCompare(name, next) < 0
        return DNSName.canonicalCompare(owner, next) < 0 ? (afterOwner && beforeNext) : (afterOwner || beforeNext)
    }

    /// The closest encloser of `qname` given the NSEC that covers it: the longest common ancestor with either end.
    static func closestEncloser(_ qname: DNSName, _ owner: DNSName, _ next: DNSName) -> DNSName {
        func common(_ a: DNSName, _ b: DNSName) -> DNSName {
            var n = a
            while !b.isSubdomain(of: n), let p = n.parent { n = p }
            return n
        }
        let x = common(qname, owner)
        let y = common(qname, next)
        return x.labelCount >= y.labelCount ? x : y
    }
}

extension DNSSECValidator {
    /// Checks one RRSIG over `rrset` with `key` (signer name, time window, labels, ECDSA): nil when valid, else why
    /// not. For tooling and tests; answers should go through ``validate(_:keys:qname:wildcardProof:now:)``.
    public static func verifySignature(_ rrset: RRSet, _ sig: RRSIG, key: DNSKEY, now: Date = Date()) -> String? {
        verify(rrset, sig, key: key, zone: sig.signerName, now: now)
    }
}
