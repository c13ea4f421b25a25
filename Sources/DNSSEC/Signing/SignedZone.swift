public import DNSWire
public import Foundation

/// A DNSSEC-signed zone (RFC 4035 §2): the data, an NSEC chain in canonical order, and an RRSIG on every
/// authoritative RRset, with algorithm 13 keys.
///
/// Create one by signing from scratch (``init(apex:records:keys:policy:now:)``, or ``Builder`` for records that
/// come in batches, as from a database of millions of devices); then keep it current with
/// ``apply(_:now:)`` (re-signs only what a change touched, fixes the NSEC neighbours, bumps the SOA serial and
/// returns an IXFR-shaped ``ZoneDiff``) and ``refresh(now:)`` (re-signs signatures close to expiry).
///
/// The authoritative names live in one ``ZoneTree`` in canonical order, each with its RRsets packed (``Node``):
/// a lookup of a present or an absent name is one binary search, and an NSEC's next name is the name after it.
/// Names below a delegation (glue) are kept apart: they are neither signed nor in the NSEC chain.
public struct SignedZone: Sendable {
    /// The zone apex, lowercased.
    public let apex: DNSName
    /// The zone's keys.
    public internal(set) var keys: ZoneKeys
    /// Timing of new signatures.
    public var policy: SigningPolicy

    /// Authoritative owner names (not glue below a delegation) and their nodes, canonical order; the apex is first.
    var tree: ZoneTree
    /// Names below a delegation point and their (unsigned) nodes.
    var glue: [DNSName: Node]
    /// Delegation points below the apex (names with NS).
    var cuts: Set<DNSName>
    /// The apex SOA with its signature, kept decoded: every negative answer carries it.
    public internal(set) var soa: SignedRRSet?

    // MARK: - Signing from scratch

    /// Signs a zone from scratch.
    ///
    /// - Parameters:
    ///   - apex: the zone name.
    ///   - records: the unsigned data: an SOA and an NS RRset at the apex, and any records at or below it. The
    ///     signer adds the DNSKEY RRset, the NSEC chain and all RRSIGs; owner names are lowercased.
    ///   - keys: KSK (signs DNSKEY) and ZSK (signs the rest).
    ///   - now: the signing time; inception is `now - policy.inceptionOffset`.
    /// - Throws: ``DNSSECError`` `missingRecord` without apex SOA/NS, `outOfZone`, `managedType` for RRSIG/NSEC/
    ///   DNSKEY input, `signingFailed`.
    public init(
        apex: DNSName, records: [ResourceRecord], keys: ZoneKeys, policy: SigningPolicy = SigningPolicy(),
        now: Date = Date()
    ) throws {
        var builder = Builder(apex: apex, keys: keys, policy: policy, now: now)
        try builder.add(records)
        self = try builder.finish()
    }

    /// A zone from its parts, as ``Builder`` made them.
    init(
        apex: DNSName, keys: ZoneKeys, policy: SigningPolicy, tree: ZoneTree, glue: [DNSName: Node], cuts: Set<DNSName>
    ) {
        self.apex = apex
        self.keys = keys
        self.policy = policy
        self.tree = tree
        self.glue = glue
        self.cuts = cuts
        self.soa = nil
        self.soa = rrset(apex, .soa)
    }

    static let managedTypes: Set<RecordType> = [.rrsig, .nsec, .nsec3, .nsec3param, .dnskey]

    static func isBelowCut(_ name: DNSName, cuts: Set<DNSName>, apex: DNSName) -> Bool {
        var p = name.parent
        while let q = p, q != apex, q.labelCount >= apex.labelCount {
            if cuts.contains(q) { return true }
            p = q.parent
        }
        return false
    }

    /// The NSEC of a name holding RRsets of `types` (an NSEC among them is ignored): those types, RRSIG and NSEC.
    static func nsec(types: [RecordType], next: DNSName) -> NSEC {
        NSEC(nextName: next, types: TypeBitmap(types.filter { $0 != .nsec } + [.rrsig, .nsec]))
    }

    /// Whether the RRset at `name` of `type` is authoritative and gets an RRSIG (RFC 4035 §2.2).
    func isSigned(_ name: DNSName, _ type: RecordType) -> Bool { Self.isSigned(name, type, cuts: cuts) }

    static func isSigned(_ name: DNSName, _ type: RecordType, cuts: Set<DNSName>) -> Bool {
        !cuts.contains(name) || type == .ds || type == .nsec
    }

    /// RFC 6781 §3.1: the KSK signs the DNSKEY RRset, the ZSK everything else.
    static func signingKey(for type: RecordType, in keys: ZoneKeys) -> DNSSECKey {
        type == .dnskey ? keys.keySigningKey : keys.zoneSigningKey
    }

    /// RFC 9077: the NSEC TTL is the lesser of the SOA MINIMUM and the SOA TTL.
    var nsecTTL: UInt32 { entry(apex, .soa, signatures: false).map(Self.nsecTTL) ?? 0 }

    static func nsecTTL(_ soaEntry: Entry) -> UInt32 {
        guard case .soa(let soa) = soaEntry.rdatas.first else { return 0 }
        return min(soa.minimum, soaEntry.ttl)
    }

    func job(_ name: DNSName, _ e: Entry) -> ParallelSigning.Job {
        ParallelSigning.Job(
            rrset: RRSet(name: name, type: e.type, ttl: e.ttl, rdatas: e.rdatas),
            key: Self.signingKey(for: e.type, in: keys))
    }

    func sign(_ jobs: [ParallelSigning.Job], now: Date) throws -> [RRSIG] {
        let t = UInt32(clamping: Int64(now.timeIntervalSince1970))
        return try ParallelSigning.sign(
            jobs, signer: apex, inception: t &- policy.inceptionOffset, expiration: t &+ policy.validity)
    }

    // MARK: - Nodes

    /// The context to decode the node of `name`, in the tree at `position` (nil for glue).
    func context(_ name: DNSName, at position: ZoneTree.Position?, next: Bool = true) -> NodeContext {
        NodeContext(
            owner: name, apex: apex,
            next: next ? position.map { tree.name(at: tree.next(after: $0)) } : nil)
    }

    /// The node of `name` with what it takes to decode it, or nil.
    func located(_ name: DNSName) -> (node: Node, position: ZoneTree.Position?)? {
        if let p = tree.find(name) { return (tree.node(at: p), p) }
        if !glue.isEmpty, let g = glue[name.lowercased()] { return (g, nil) }
        return nil
    }

    /// Every RRset at `name`, decoded (an NSEC with its next name), or nil when the zone has no such name.
    func entries(_ name: DNSName) -> [Entry]? {
        guard let (node, p) = located(name) else { return nil }
        return node.entries(context(name.lowercased(), at: p))
    }

    /// The RRset of `type` at `name`, decoded, or nil.
    func entry(_ name: DNSName, _ type: RecordType, signatures: Bool = true) -> Entry? {
        guard let (node, p) = located(name) else { return nil }
        return node.entry(type, signatures: signatures, context(name.lowercased(), at: p, next: type == .nsec))
    }

    // MARK: - Reading the zone

    /// The current SOA serial.
    public var serial: UInt32 {
        guard case .soa(let soa) = entry(apex, .soa, signatures: false)?.rdatas.first else { return 0 }
        return soa.serial
    }

    /// Whether any name below the apex has NS records (a delegation): without one, no answer is a referral and a
    /// server can skip looking for zone cuts.
    public var hasDelegations: Bool { !cuts.isEmpty }

    /// The octets the zone's names and records take in memory, without allocation overheads.
    public var storedOctets: Int { tree.storedOctets }

    /// The number of owner names in the NSEC chain.
    public var nameCount: Int { tree.count }

    /// The RRset of `type` at `name` with its signatures, or nil.
    ///
    /// - Parameter signatures: false leaves ``SignedRRSet/signatures`` empty (an answer without DNSSEC needs none).
    public func rrset(_ name: DNSName, _ type: RecordType, signatures: Bool = true) -> SignedRRSet? {
        guard let e = entry(name, type, signatures: signatures), !e.rdatas.isEmpty else { return nil }
        return SignedRRSet(
            rrset: RRSet(name: name.lowercased(), type: type, ttl: e.ttl, rdatas: e.rdatas), signatures: e.signatures)
    }

    /// The RRsets at one owner name, found once: an answer asks it for the type queried, then perhaps a CNAME or
    /// the NSEC, without looking the name up again (the lookup is the largest cost of answering after the
    /// kernel's).
    public struct OwnerName: Sendable {
        public let name: DNSName
        let node: Node
        let position: ZoneTree.Position?
        let tree: ZoneTree
        /// The next name, when the lookup already read it (a covering NSEC's is always needed).
        let knownNext: DNSName?

        init(name: DNSName, node: Node, position: ZoneTree.Position?, tree: ZoneTree, knownNext: DNSName? = nil) {
            self.name = name
            self.node = node
            self.position = position
            self.tree = tree
            self.knownNext = knownNext
        }

        /// The next name in the NSEC chain (nil for a name below a delegation, outside the chain).
        public var nextName: DNSName? { knownNext ?? position.map { tree.name(at: tree.next(after: $0)) } }

        /// Appends the RRset of `type` and, with `signatures`, its RRSIGs to a message in wire form, each owner name
        /// written by `owner` (compressed as the caller likes), with `ttl` in place of the RRset's TTL when given.
        /// The records are copied from the zone's packed form, not decoded: the server's fast path.
        ///
        /// - Returns: the number of records written (RRSIGs included), 0 when the name holds no such RRset.
        public func write(
            _ type: RecordType, signatures: Bool, ttl: UInt32? = nil, into w: inout WireWriter,
            owner: (inout WireWriter) -> Void
        ) -> Int {
            let context = NodeContext(owner: name, apex: tree.apex, next: type == .nsec ? nextName : nil)
            return node.write(type, signatures: signatures, ttl: ttl, context, into: &w, owner: owner)
        }

        /// Whether the name holds any RRset with records (NSEC included).
        public var isEmpty: Bool { !node.holdsRecords }

        /// Whether the name holds an RRset of `type` with records.
        public func contains(_ type: RecordType) -> Bool { node.holds(type) }

        /// The RRset of `type` with its signatures (none unless `signatures`), or nil.
        public func rrset(_ type: RecordType, signatures: Bool = true) -> SignedRRSet? {
            let context = NodeContext(owner: name, apex: tree.apex, next: type == .nsec ? nextName : nil)
            guard let e = node.entry(type, signatures: signatures, context), !e.rdatas.isEmpty else { return nil }
            return SignedRRSet(
                rrset: RRSet(name: name, type: type, ttl: e.ttl, rdatas: e.rdatas), signatures: e.signatures)
        }
    }

    /// The owner name whose NSEC covers `name` (the closest at or before it in canonical order), or nil when
    /// `name` is not in the zone: with ``OwnerName/nextName`` it tells whether `name` exists, is an empty
    /// non-terminal, or which of its ancestors is the closest encloser.
    public func covering(_ name: DNSName) -> OwnerName? { find(name)?.owner }

    /// `name` looked up once: its owner name when the zone has it (`exact`), else the owner name whose NSEC covers
    /// it; nil when `name` is not at or below the apex. A negative answer needs both the name's absence and its
    /// cover, and this is one search for the two.
    public func find(_ name: DNSName) -> (owner: OwnerName, exact: Bool)? {
        guard tree.count > 0, name.isSubdomain(of: apex) else { return nil }
        let key = NameKey.make(name, apex: apex)
        var p = tree.lowerBound(key)
        let exact = tree.holds(key, at: p)
        if !exact { p = tree.previous(before: p) }
        let next = tree.next(after: p)
        let owner = OwnerName(
            name: exact ? name.lowercased() : tree.name(at: p), node: tree.node(at: p), position: p, tree: tree,
            knownNext: exact ? nil : tree.name(at: next))
        return (owner, exact)
    }

    /// The apex and its RRsets (the SOA of every negative answer), without a search.
    public var apexOwner: OwnerName? {
        guard tree.count > 0 else { return nil }
        let p = ZoneTree.Position(chunk: 0, index: 0)
        return OwnerName(name: apex, node: tree.node(at: p), position: p, tree: tree)
    }

    /// The owner name `name` and its RRsets, or nil when the zone has no such name.
    public func owner(_ name: DNSName) -> OwnerName? {
        located(name).map { OwnerName(name: name.lowercased(), node: $0.node, position: $0.position, tree: tree) }
    }

    /// All RRsets at `name`, or an empty array.
    public func rrsets(at name: DNSName) -> [SignedRRSet] {
        (entries(name) ?? []).map {
            SignedRRSet(
                rrset: RRSet(name: name.lowercased(), type: $0.type, ttl: $0.ttl, rdatas: $0.rdatas),
                signatures: $0.signatures)
        }
    }

    /// The signed NSEC RRset whose owner is the closest name at or before `name` in canonical order: it proves
    /// `name` absent when `name` lies strictly between its owner and next name (RFC 4035 §3.1.3.2).
    public func nsec(covering name: DNSName, signatures: Bool = true) -> SignedRRSet? {
        covering(name)?.rrset(.nsec, signatures: signatures)
    }

    /// The whole signed zone: per name in canonical order, each RRset then its RRSIGs (SOA first).
    public var records: [ResourceRecord] {
        var out: [ResourceRecord] = []
        out.reserveCapacity(tree.count * 5)
        forEachName { out += $0 }
        return out
    }

    /// The records of each owner name in turn, in the order of ``records``, without holding them all at once:
    /// decoded, a zone's records take several times the memory of the zone itself.
    public func forEachName(_ body: ([ResourceRecord]) throws -> Void) rethrows {
        var cursor = NameCursor()
        while true {
            let batch = records(from: &cursor, names: 1)
            if batch.isEmpty { return }
            try body(batch)
        }
    }

    /// A place among the zone's owner names, in the order of ``records``: a zone transfer reads the records a few
    /// names at a time from it, as the client takes them.
    public struct NameCursor: Sendable {
        var position: ZoneTree.Position? = ZoneTree.Position(chunk: 0, index: 0)
        var glueIndex = 0

        /// Before the first name.
        public init() {}
    }

    /// The records of up to `names` owner names from `cursor`, which moves past them; empty once every name is read.
    public func records(from cursor: inout NameCursor, names: Int) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        func append(_ name: DNSName, _ entries: [Entry]) {
            let sorted = entries.sorted {
                ($0.type == .soa ? -1 : Int($0.type.rawValue)) < ($1.type == .soa ? -1 : Int($1.type.rawValue))
            }
            for e in sorted {
                for r in e.rdatas { out.append(ResourceRecord(name: name, ttl: e.ttl, rdata: r)) }
                for s in e.signatures { out.append(ResourceRecord(name: name, ttl: e.ttl, rdata: .rrsig(s))) }
            }
        }
        var taken = 0
        while taken < names, let p = cursor.position {
            guard tree.count > 0 else {
                cursor.position = nil
                break
            }
            let name = tree.name(at: p)
            append(name, tree.node(at: p).entries(context(name, at: p)))
            let next = tree.next(after: p)
            cursor.position = next == ZoneTree.Position(chunk: 0, index: 0) ? nil : next
            taken += 1
        }
        if taken < names, cursor.position == nil, cursor.glueIndex < glue.count {
            let sortedGlue = glue.keys.sorted()
            while taken < names, cursor.glueIndex < sortedGlue.count {
                let name = sortedGlue[cursor.glueIndex]
                append(name, glue[name]?.entries(context(name, at: nil)) ?? [])
                cursor.glueIndex += 1
                taken += 1
            }
        }
        return out
    }

    /// The signed zone as master-file text (``ZoneFileWriter``), ready for `ldns-verify-zone` or a secondary.
    public func masterFile() -> String { ZoneFileWriter.write(records) }

    /// The KSK's DS (SHA-256) as a master-file line: publish it in the parent, or use it as a trust anchor.
    public var dsRecord: ResourceRecord {
        ResourceRecord(name: apex, ttl: policy.dnskeyTTL, rdata: .ds(keys.keySigningKey.ds(owner: apex)))
    }
}
