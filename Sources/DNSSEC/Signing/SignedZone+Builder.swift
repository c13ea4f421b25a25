public import DNSWire
import Dispatch
public import Foundation

extension SignedZone {
    /// Signs a zone from scratch from records handed over in batches.
    ///
    /// Why batches: a registry zone of ten million devices is read from a database a page at a time, and as
    /// decoded records (each name, certificate and key an array of its own) it would need several times the
    /// memory of the signed zone. The builder signs and packs each batch on all cores as it comes, so the caller
    /// can drop the batch at once, and only the packed nodes stay. ``finish()`` then sorts the names, merges a
    /// name that came in more than one batch, adds the DNSKEY RRset and signs the NSEC chain.
    ///
    /// ``SignedZone/init(apex:records:keys:policy:now:)`` is this builder with one batch.
    public struct Builder: Sendable {
        /// The zone apex, lowercased.
        public let apex: DNSName
        let keys: ZoneKeys
        let policy: SigningPolicy
        let signing: ParallelBuild.Signing
        /// Every name added so far and its node, in arrival order; a name may appear more than once.
        private var names: [DNSName] = []
        private var nodes: [Node] = []
        /// Names below the apex with an NS RRset (delegations).
        private var cuts: Set<DNSName> = []

        /// - Parameter now: the signing time of every signature; inception is `now - policy.inceptionOffset`.
        public init(apex: DNSName, keys: ZoneKeys, policy: SigningPolicy = SigningPolicy(), now: Date = Date()) {
            self.apex = apex.lowercased()
            self.keys = keys
            self.policy = policy
            let t = UInt32(clamping: Int64(now.timeIntervalSince1970))
            signing = ParallelBuild.Signing(
                keys: keys, apex: self.apex, inception: t &- policy.inceptionOffset, expiration: t &+ policy.validity)
        }

        /// Owner names added so far (a name added in two batches counts twice).
        public var nameCount: Int { names.count }

        /// Signs and packs a batch of unsigned records: any records at or below the apex, owner names lowercased.
        ///
        /// - Throws: ``DNSSECError`` `outOfZone`, `managedType` for RRSIG/NSEC/NSEC3/DNSKEY input (the builder
        ///   makes those), `signingFailed`. A batch that throws adds nothing.
        public mutating func add<S: Sequence>(_ records: S) throws where S.Element == ResourceRecord {
            var building: [DNSName: [Entry]] = [:]
            building.reserveCapacity(records.underestimatedCount)
            for r in records {
                guard r.name.isSubdomain(of: apex) else {
                    throw DNSSECError(.outOfZone, "\(r.name) is not at or below the apex \(apex)")
                }
                guard !SignedZone.managedTypes.contains(r.type) else {
                    throw DNSSECError(.managedType, "\(r.type) at \(r.name) is produced by the signer; leave it out")
                }
                building[r.name.lowercased(), default: []].add(r)
            }
            let batch = Array(building.keys)
            var entries = batch.map { building.removeValue(forKey: $0) ?? [] }
            let packed = try ParallelBuild.signed(batch, entries, signing)
            entries = []
            // The names stay: each in a block of its own, not among the records' RDATA the caller frees next.
            for (name, node) in zip(batch, packed) {
                let kept = DNSName.compactCopy(of: name)
                if kept != apex && node.holds(.ns) { cuts.insert(kept) }
                names.append(kept)
                nodes.append(node)
            }
        }

        /// The signed zone: the names in canonical order, a DNSKEY RRset at the apex, an NSEC at every
        /// authoritative name and an RRSIG on every authoritative RRset. The builder is empty afterwards.
        ///
        /// - Throws: ``DNSSECError`` `missingRecord` without exactly one apex SOA and an apex NS RRset,
        ///   `signingFailed`.
        public mutating func finish() throws -> SignedZone {
            var (sorted, packed) = try mergedInOrder()
            let apexContext = NodeContext(owner: apex, apex: apex, next: nil)
            guard sorted.first == apex, let soa = packed[0].entry(.soa, signatures: false, apexContext),
                soa.rdatas.count == 1, packed[0].entry(.ns, signatures: false, apexContext) != nil
            else {
                throw DNSSECError(.missingRecord, "the apex \(apex) needs exactly one SOA and an NS RRset")
            }
            var dnskey = Entry(
                type: .dnskey, ttl: policy.dnskeyTTL, rdatas: keys.published.map { .dnskey($0.dnskey) },
                signatures: [])
            dnskey.signatures = [try signing.sign(apex, dnskey)]
            packed[0] = packed[0].appending([dnskey], owner: apex, apex: apex)

            // Delegations (rare here): the NS at a cut and the glue below it are not signed, the glue has no NSEC.
            var glue: [DNSName: Node] = [:]
            if !cuts.isEmpty {
                var authoritative: [Int] = []
                for i in sorted.indices {
                    let name = sorted[i]
                    let entries = packed[i].entries(NodeContext(owner: name, apex: apex, next: nil))
                    if SignedZone.isBelowCut(name, cuts: cuts, apex: apex) {
                        glue[name] = Node(entries: entries.map { Self.unsigned($0) }, owner: name, apex: apex)
                    } else {
                        if cuts.contains(name) {
                            packed[i] = Node(
                                entries: entries.map { $0.type == .ds ? $0 : Self.unsigned($0) }, owner: name,
                                apex: apex)
                        }
                        authoritative.append(i)
                    }
                }
                sorted = authoritative.map { sorted[$0] }
                packed = authoritative.map { packed[$0] }
            }
            let tree = try chained(names: sorted, nodes: &packed, ttl: SignedZone.nsecTTL(soa))
            return SignedZone(apex: apex, keys: keys, policy: policy, tree: tree, glue: glue, cuts: cuts)
        }

        /// Every name once, in canonical order, with its node; a name that came in several batches gets the union
        /// of its RRsets, and an RRset that grew is signed again.
        private mutating func mergedInOrder() throws -> ([DNSName], [Node]) {
            let order = ParallelBuild.sortedOrder(names)
            var sorted: [DNSName] = []
            var packed: [Node] = []
            sorted.reserveCapacity(order.count)
            packed.reserveCapacity(order.count)
            var k = 0
            while k < order.count {
                let name = names[order[k]]
                var node = nodes[order[k]]
                var j = k + 1
                if j < order.count && names[order[j]] == name {
                    let context = NodeContext(owner: name, apex: apex, next: nil)
                    var entries = node.entries(context)
                    while j < order.count && names[order[j]] == name {
                        Self.merge(nodes[order[j]].entries(context), into: &entries)
                        j += 1
                    }
                    try signing.signUnsigned(name, &entries)
                    node = Node(entries: entries, owner: name, apex: apex)
                }
                sorted.append(name)
                packed.append(node)
                k = j
            }
            names = []
            nodes = []
            return (sorted, packed)
        }

        /// Adds `more` to `entries`: a new type as it is, records of a present type to its RRset (unsigned again
        /// when it gained one); the first TTL stays, as for records of one batch.
        static func merge(_ more: [Entry], into entries: inout [Entry]) {
            for e in more {
                guard let i = entries.firstIndex(where: { $0.type == e.type }) else {
                    entries.append(e)
                    continue
                }
                let added = e.rdatas.filter { !entries[i].rdatas.contains($0) }
                guard !added.isEmpty else { continue }
                entries[i].rdatas += added
                entries[i].signatures = []
            }
        }

        static func unsigned(_ e: Entry) -> Entry { Entry(type: e.type, ttl: e.ttl, rdatas: e.rdatas, signatures: []) }

        /// The tree of `names` in order, each node with its signed NSEC to the next name (the last to the apex).
        ///
        /// A window of names at a time: their NSECs signed and their chunks packed on all cores, then their
        /// nodes of their own freed, so that the nodes and the tree are not both in memory whole.
        private func chained(names: [DNSName], nodes: inout [Node], ttl: UInt32) throws -> ZoneTree {
            var tree = ZoneTree(apex: apex)
            let window = 1024 * ZoneTree.chunkSize
            for start in stride(from: 0, to: names.count, by: window) {
                let end = min(names.count, start + window)
                let part = Array(nodes[start..<end])
                let nsecs = ParallelSlots<[UInt8]>(count: end - start, initial: [])
                let keys = ParallelSlots<[UInt8]>(count: end - start, initial: [])
                let signing = self.signing
                let apex = self.apex
                try ParallelBuild.forEach(count: end - start) { k in
                    let i = start + k
                    let nsec = SignedZone.nsec(types: part[k].types, next: names[(i + 1) % names.count])
                    var e = Entry(type: .nsec, ttl: ttl, rdatas: [.nsec(nsec)], signatures: [])
                    e.signatures = [try signing.sign(names[i], e)]
                    nsecs.slots[k] = Node(entries: [e], owner: names[i], apex: apex).bytes
                    keys.slots[k] = NameKey.make(names[i], apex: apex)
                }
                // The chunks are packed here, on one thread: made by the workers, they would sit among the
                // workers' short-lived blocks, and keep partly used pages from going back to the system.
                for c in stride(from: 0, to: end - start, by: ZoneTree.chunkSize) {
                    let range = c..<min(end - start, c + ZoneTree.chunkSize)
                    tree.append(
                        ZoneTree.Chunk(range.map { k in (keys.slots[k][...], [part[k].octets, nsecs.slots[k][...]]) }))
                }
                for i in start..<end { nodes[i] = Node() }
                FreedMemory.release()
            }
            return tree
        }
    }
}
