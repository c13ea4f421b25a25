public import DNSSEC
public import DNSWire
public import Foundation

/// A DNSSEC-validated answer: the records, or a validated proof that there are none.
public enum ValidatedAnswer: Hashable, Sendable {
    /// The RRset validated up to a trust anchor; `ttl` is what is left of its lifetime in seconds.
    case secure([RData], ttl: UInt32)
    /// A validated NXDOMAIN or NODATA proof (NSEC): the name or type is proven absent for `ttl` seconds.
    case provenAbsent(ttl: UInt32)
}

/// A DNSSEC-validated TLSA lookup result.
public enum TLSALookup: Hashable, Sendable {
    /// The TLSA RRset validated up to a trust anchor; `ttl` is what is left of its lifetime in seconds.
    case secure([TLSA], ttl: UInt32)
    /// A validated NSEC proof that the name (NXDOMAIN: for a device, revoked) or its TLSA (NODATA) does not exist.
    case provenAbsent(ttl: UInt32)
}

/// A validating stub resolver for names inside zones we hold trust anchors for (the registry zone).
///
/// Why: the device and the ASP must not believe a resolver's AD bit (RFC 4035 §4.9.3, RFC 6698 §4.1); they fetch
/// the zone's DNSKEY RRset and the answer with its RRSIGs (or the NSEC proof) over a ``DNSTransport`` and check
/// them with ``DNSSECValidator`` against the trust anchors the payload carries (DS records of the zone).
///
/// Scope: a name is validated with the anchor of the closest enclosing anchored zone, and its signer must be that
/// zone: delegations below an anchor (DS chains) are not followed, and CNAMEs are not chased (both are
/// `indeterminate`). Everything that is not a secure answer or a secure proof of absence throws, so callers fail
/// closed: `bogus` (validation failed: attack or broken zone), `noTrustAnchor`, or the transport's error
/// (`pinMismatch`, `timeout`, `connectionFailed`, `malformedResponse`) or `indeterminate` (SERVFAIL, …).
///
/// Cache: secure answers and proofs are kept until the smallest of the RRset TTL, the RRSIG original TTL, the
/// negative TTL (RFC 2308/9077: min of SOA TTL and MINIMUM), the RRSIG expiration and the DNSKEY entry's own
/// expiry; failures are never cached. Concurrent lookups of one name share one query.
///
/// ```swift
/// let resolver = ValidatingResolver(trustAnchors: try TrustAnchor.parse(dsLine), transport: dotClient)
/// switch try await resolver.tlsa(try DNSName("<eid>._device.iotregistry.test.")) {
/// case .secure(let records, _): …      // match with TLSAMatcher
/// case .provenAbsent: …                 // revoked
/// }
/// ```
public actor ValidatingResolver {
    public nonisolated let trustAnchors: [TrustAnchor]
    public nonisolated let transport: any DNSTransport
    /// Upper bound on cached entries; when full, expired entries go first, then the whole cache.
    public nonisolated let maxCacheEntries: Int
    private let validator: DNSSECValidator
    private let clock: @Sendable () -> Date

    private struct Key: Hashable {
        var name: DNSName
        var type: RecordType
    }
    private struct Entry {
        var answer: ValidatedAnswer
        var expires: Date
    }
    private struct Keys {
        var rrset: SignedRRSet
        var expires: Date
    }
    private var cache: [Key: Entry] = [:]
    private var keyCache: [DNSName: Keys] = [:]
    private var inflight: [Key: Task<Entry, any Error>] = [:]
    /// When each name was last fetched afresh by ``tlsaAfresh(_:atMostEvery:)``.
    private var refreshed: [Key: Date] = [:]

    /// Number of answers served from the cache and fetched, for benchmarks and tests.
    public private(set) var statistics = (hits: 0, misses: 0)

    /// - Parameters:
    ///   - trustAnchors: DS (or DNSKEY) anchors of the zones to validate, e.g. the registry zone's DS.
    ///   - transport: where queries go, normally a ``DNSOverTLSClient``.
    ///   - now: the clock (tests move it to expire cache entries and signatures).
    public init(
        trustAnchors: [TrustAnchor], transport: any DNSTransport, maxCacheEntries: Int = 100_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.trustAnchors = trustAnchors
        self.transport = transport
        self.maxCacheEntries = max(1, maxCacheEntries)
        self.validator = DNSSECValidator(trustAnchors: trustAnchors)
        self.clock = now
    }

    /// The validated TLSA RRset at `name`, or a validated proof that it does not exist.
    public func tlsa(_ name: DNSName) async throws -> TLSALookup {
        Self.tlsa(try await lookup(name, .tlsa))
    }

    /// ``tlsa(_:)`` fetched afresh, at most once per `interval` seconds per name; within it, the answer of the
    /// last fresh fetch (or the fetch under way, which this joins).
    ///
    /// How a client re-checks a refusal that may rest on an answer the zone has since replaced (a device renewed
    /// its certificate), without letting a flood of bad certificates turn into a flood of queries: concurrent
    /// re-checks share one query.
    public func tlsaAfresh(_ name: DNSName, atMostEvery interval: TimeInterval) async throws -> TLSALookup {
        let key = Key(name: name.lowercased(), type: .tlsa)
        let now = clock()
        if let last = refreshed[key], now.timeIntervalSince(last) < interval {
            return try await tlsa(name)
        }
        if refreshed.count >= maxCacheEntries {
            refreshed = refreshed.filter { now.timeIntervalSince($0.value) < interval }
        }
        refreshed[key] = now
        cache[key] = nil
        return try await tlsa(name)
    }

    private static func tlsa(_ answer: ValidatedAnswer) -> TLSALookup {
        switch answer {
        case .secure(let rdatas, let ttl):
            .secure(rdatas.compactMap { if case .tlsa(let t) = $0 { t } else { nil } }, ttl: ttl)
        case .provenAbsent(let ttl): .provenAbsent(ttl: ttl)
        }
    }

    /// The validated RRset of `type` at `name`, or a validated proof that it does not exist.
    public func lookup(_ name: DNSName, _ type: RecordType) async throws -> ValidatedAnswer {
        let key = Key(name: name.lowercased(), type: type)
        let now = clock()
        if let entry = cache[key] {
            if entry.expires > now {
                statistics.hits += 1
                return Self.remaining(entry, now: now)
            }
            cache[key] = nil
        }
        statistics.misses += 1
        let task: Task<Entry, any Error>
        if let running = inflight[key] {
            task = running
        } else {
            task = Task { try await self.resolve(key.name, type) }
            inflight[key] = task
        }
        // Only the first caller back from this fetch retires and caches it: by the time a later one resumes, a
        // newer fetch of the same name (``tlsaAfresh``) may be under way, and must not be forgotten or overwritten.
        do {
            let entry = try await task.value
            if inflight[key] == task {
                inflight[key] = nil
                store(key, entry)
            }
            return Self.remaining(entry, now: clock())
        } catch {
            if inflight[key] == task { inflight[key] = nil }
            throw error
        }
    }

    /// Drops the cached answer for `name` and `type`, so the next lookup asks again: a device that just renewed
    /// its certificate knows its own TLSA is about to change, and must not wait out the TTL to see it.
    public func forget(_ name: DNSName, _ type: RecordType) {
        cache[Key(name: name.lowercased(), type: type)] = nil
    }

    /// Drops every cached answer and key set (e.g. after the operator changed trust anchors).
    public func flush() {
        cache = [:]
        keyCache = [:]
    }

    /// The number of cached answers.
    public var cachedAnswers: Int { cache.count }

    // MARK: - Resolution

    private static func remaining(_ entry: Entry, now: Date) -> ValidatedAnswer {
        let left = UInt32(max(0, min(Double(UInt32.max), entry.expires.timeIntervalSince(now).rounded(.down))))
        switch entry.answer {
        case .secure(let r, _): return .secure(r, ttl: left)
        case .provenAbsent: return .provenAbsent(ttl: left)
        }
    }

    private func store(_ key: Key, _ entry: Entry) {
        guard entry.expires > clock() else { return }
        if cache.count >= maxCacheEntries {
            let now = clock()
            cache = cache.filter { $0.value.expires > now }
            if cache.count >= maxCacheEntries { cache = [:] }
        }
        cache[key] = entry
    }

    private func anchorZone(for name: DNSName) throws -> DNSName {
        let zones = trustAnchors.map(\.zone).filter { name.isSubdomain(of: $0) }
        guard let zone = zones.max(by: { $0.labelCount < $1.labelCount }) else {
            throw DANEError(.noTrustAnchor, "no trust anchor is at or above \(name); it cannot be validated")
        }
        return zone
    }

    private func ask(_ name: DNSName, _ type: RecordType) async throws -> Message {
        do {
            return try await transport.query(name, type)
        } catch let e as DANEError {
            throw e
        } catch {
            throw DANEError(.indeterminate, "query \(name) \(type) failed: \(error)")
        }
    }

    private func resolve(_ name: DNSName, _ type: RecordType) async throws -> Entry {
        let zone = try anchorZone(for: name)
        let response = try await ask(name, type)
        let now = clock()
        let keys = try await zoneKeys(zone)
        let authority = SignedRRSet.group(response.authority)
        let proof = authority.filter { $0.rrset.type == .nsec }
        switch response.responseCode {
        case .noError:
            let answers = SignedRRSet.group(response.answers)
            if let alias = answers.first(where: { $0.rrset.type == .cname || $0.rrset.type == .dname }),
                type != .cname
            {
                throw DANEError(.indeterminate, "\(name) is an alias (\(alias.rrset.type)); aliases are not followed")
            }
            if let answer = answers.first(where: { $0.rrset.name == name && $0.rrset.type == type }) {
                for sig in answer.signatures where sig.signerName.lowercased() != zone {
                    throw DANEError(
                        .indeterminate,
                        "\(name) \(type) is signed by \(sig.signerName), below the anchored zone \(zone); "
                            + "delegations are not followed")
                }
                let verdict = validator.validate(answer, keys: keys.rrset, qname: name, wildcardProof: proof, now: now)
                guard verdict == .secure else { throw Self.bogus(name, type, verdict) }
                let expires = Self.expiry(of: [answer], keys: keys, now: now)
                return Entry(answer: .secure(answer.rrset.rdatas, ttl: 0), expires: expires)
            }
            let verdict = validator.validateNoData(qname: name, type: type, proof: proof, keys: keys.rrset, now: now)
            guard verdict == .secure else { throw Self.bogus(name, type, verdict) }
            return Entry(answer: .provenAbsent(ttl: 0), expires: Self.negativeExpiry(authority, keys: keys, now: now))
        case .nxDomain:
            let verdict = validator.validateNameError(qname: name, proof: proof, keys: keys.rrset, now: now)
            guard verdict == .secure else { throw Self.bogus(name, type, verdict) }
            return Entry(answer: .provenAbsent(ttl: 0), expires: Self.negativeExpiry(authority, keys: keys, now: now))
        default:
            throw DANEError(
                .indeterminate, "the resolver answered \(response.responseCode) for \(name) \(type); retry later")
        }
    }

    private static func bogus(_ name: DNSName, _ type: RecordType, _ verdict: ValidationResult) -> DANEError {
        switch verdict {
        case .bogus(let reason): DANEError(.bogus, "\(name) \(type) is bogus: \(reason)")
        default: DANEError(.bogus, "\(name) \(type) did not validate (\(verdict))")
        }
    }

    /// The zone's DNSKEY RRset, validated against the anchor (cached within its TTL and signature lifetime).
    private func zoneKeys(_ zone: DNSName) async throws -> Keys {
        let now = clock()
        if let keys = keyCache[zone], keys.expires > now { return keys }
        let response = try await ask(zone, .dnskey)
        guard response.responseCode == .noError else {
            throw DANEError(
                .indeterminate, "the resolver answered \(response.responseCode) for \(zone) DNSKEY; retry later")
        }
        guard
            let rrset = SignedRRSet.group(response.answers).first(where: {
                $0.rrset.name == zone && $0.rrset.type == .dnskey
            })
        else {
            throw DANEError(.bogus, "no DNSKEY RRset for the anchored zone \(zone)")
        }
        let verdict = validator.validateKeys(rrset, now: now)
        guard verdict == .secure else { throw Self.bogus(zone, .dnskey, verdict) }
        var expires = now.addingTimeInterval(Double(rrset.rrset.ttl))
        for sig in rrset.signatures {
            expires = min(expires, now.addingTimeInterval(Double(sig.originalTTL)), Self.date(sig.expiration))
        }
        let keys = Keys(rrset: rrset, expires: expires)
        keyCache[zone] = keys
        return keys
    }

    private static func date(_ rrsigTime: UInt32) -> Date { Date(timeIntervalSince1970: Double(rrsigTime)) }

    private static func expiry(of sets: [SignedRRSet], keys: Keys, now: Date) -> Date {
        var expires = keys.expires
        for set in sets {
            expires = min(expires, now.addingTimeInterval(Double(set.rrset.ttl)))
            for sig in set.signatures {
                expires = min(expires, now.addingTimeInterval(Double(sig.originalTTL)), date(sig.expiration))
            }
        }
        return expires
    }

    private static func negativeExpiry(_ authority: [SignedRRSet], keys: Keys, now: Date) -> Date {
        var expires = expiry(
            of: authority.filter { $0.rrset.type == .nsec || $0.rrset.type == .soa }, keys: keys, now: now)
        for case .soa(let soa) in authority.first(where: { $0.rrset.type == .soa })?.rrset.rdatas ?? [] {
            expires = min(expires, now.addingTimeInterval(Double(soa.minimum)))
        }
        return expires
    }
}
