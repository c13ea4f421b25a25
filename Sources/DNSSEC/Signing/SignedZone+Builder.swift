public import DNSWire
import Dispatch
public import Foundation

extension SignedZone {
    /// Signs a zone from scratch from records handed over in batches.
    ///
    /// Why batches: a registry zone of ten million devices is read from a database a page at a time, and as
    /// decoded records (each name, certificate and key an array of its own) it would need several times the
    /// memory of the signed zone. The builder signs each batch on all cores as it comes, sorts it and packs it in
    /// chunks (a sorted run), so the caller can drop the batch at once. ``finish()`` then merges the runs in
    /// canonical order (a name that came in more than one batch gets the union of its RRsets), adds the DNSKEY
    /// RRset, signs the NSEC chain and packs the final chunks, freeing each run's chunks as the merge passes them:
    /// at no time are the runs and the zone both in memory whole.
    ///
    /// ``SignedZone/init(apex:records:keys:policy:now:)`` is this builder with one batch.
    public struct Builder: Sendable {
        /// The zone apex, lowercased.
        public let apex: DNSName
        let keys: ZoneKeys
        let policy: SigningPolicy
        let signing: ParallelBuild.Signing
        /// Each batch's names in canonical order with their signed nodes (no NSEC yet), in chunks.
        private var runs: [[ZoneTree.Chunk]] = []
        private var added = 0
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
        public var nameCount: Int { added }

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
            for (name, node) in zip(batch, packed) where name != apex && node.holds(.ns) {
                cuts.insert(DNSName.compactCopy(of: name))
            }
            let order = ParallelBuild.sortedOrder(keysOf: packed)
            var run: [ZoneTree.Chunk] = []
            for c in stride(from: 0, to: order.count, by: ZoneTree.chunkSize) {
                let range = c..<min(order.count, c + ZoneTree.chunkSize)
                run.append(ZoneTree.Chunk(range.map { (packed[order[$0]].key, [packed[order[$0]].octets]) }))
            }
            if !run.isEmpty { runs.append(run) }
            added += batch.count
        }

        /// The signed zone: the names in canonical order, a DNSKEY RRset at the apex, an NSEC at every
        /// authoritative name and an RRSIG on every authoritative RRset. The builder is empty afterwards.
        ///
        /// - Throws: ``DNSSECError`` `missingRecord` without exactly one apex SOA and an apex NS RRset,
        ///   `signingFailed`.
        public mutating func finish() throws -> SignedZone {
            var merger = RunMerger(runs: runs)
            runs = []
            var glue: [DNSName: Node] = [:]
            let cuts = self.cuts
            let apex = self.apex

            /// The next authoritative name in order and its node; glue goes aside.
            func pull() throws -> (key: ArraySlice<UInt8>, node: Node)? {
                while let group = merger.next() {
                    var (key, node) = group[0]
                    if group.count > 1 || !cuts.isEmpty {
                        let name = NameKey.name(Array(key), 0..<key.count, apex: apex)
                        let context = NodeContext(owner: name, apex: apex, next: nil)
                        var entries = node.entries(context)
                        if group.count > 1 {
                            for other in group.dropFirst() { Self.merge(other.node.entries(context), into: &entries) }
                            try signing.signUnsigned(name, &entries)
                        }
                        if SignedZone.isBelowCut(name, cuts: cuts, apex: apex) {
                            glue[name] = Node(entries: entries.map { Self.unsigned($0) }, owner: name, apex: apex)
                            continue
                        }
                        if cuts.contains(name) {
                            entries = entries.map { $0.type == .ds ? $0 : Self.unsigned($0) }
                        }
                        if group.count > 1 || cuts.contains(name) {
                            node = Node(entries: entries, owner: name, apex: apex, key: Array(key))
                            key = node.key
                        }
                    }
                    return (key, node)
                }
                return nil
            }

            let apexContext = NodeContext(owner: apex, apex: apex, next: nil)
            guard var first = try pull(), first.key.isEmpty,
                let soa = first.node.entry(.soa, signatures: false, apexContext), soa.rdatas.count == 1,
                first.node.holds(.ns)
            else {
                throw DNSSECError(.missingRecord, "the apex \(apex) needs exactly one SOA and an NS RRset")
            }
            var dnskey = Entry(
                type: .dnskey, ttl: policy.dnskeyTTL, rdatas: keys.published.map { .dnskey($0.dnskey) },
                signatures: [])
            dnskey.signatures = [try signing.sign(apex, dnskey)]
            first.node = first.node.appending([dnskey], owner: apex, apex: apex)

            // The NSEC chain a window at a time: the window's names (and the one after its last) are pulled from
            // the merge, their NSECs signed on all cores, their chunks packed; then what the merge passed is freed.
            let ttl = SignedZone.nsecTTL(soa)
            var tree = ZoneTree(apex: apex)
            let window = 1024 * ZoneTree.chunkSize
            var pending = [first]
            while true {
                while pending.count <= window, let next = try pull() { pending.append(next) }
                let last = pending.count <= window
                let take = last ? pending.count : window
                let part = pending
                let nsecs = ParallelSlots<[UInt8]>(count: take, initial: [])
                let signing = self.signing
                try ParallelBuild.forEach(count: take) { k in
                    let name = NameKey.name(Array(part[k].key), 0..<part[k].key.count, apex: apex)
                    // After the last name comes the apex, whose key is empty.
                    let nextKey = k + 1 < part.count ? Array(part[k + 1].key) : []
                    let next = NameKey.name(nextKey, 0..<nextKey.count, apex: apex)
                    let nsec = SignedZone.nsec(types: part[k].node.types, next: next)
                    var e = Entry(type: .nsec, ttl: ttl, rdatas: [.nsec(nsec)], signatures: [])
                    e.signatures = [try signing.sign(name, e)]
                    nsecs.slots[k] = Node(entries: [e], owner: name, apex: apex).bytes
                }
                for c in stride(from: 0, to: take, by: ZoneTree.chunkSize) {
                    let range = c..<min(take, c + ZoneTree.chunkSize)
                    tree.append(
                        ZoneTree.Chunk(range.map { k in (part[k].key, [part[k].node.octets, nsecs.slots[k][...]]) }))
                }
                pending.removeFirst(take)
                if last { break }
                FreedMemory.release()
            }
            return SignedZone(apex: apex, keys: keys, policy: policy, tree: tree, glue: glue, cuts: cuts)
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
    }
}

/// The sorted runs of a build merged into one canonical order: a heap of the runs by their next name. Each run's
/// chunk is dropped once the merge has passed it, so memory follows the merge.
struct RunMerger {
    private var runs: [[ZoneTree.Chunk]]
    private var chunk: [Int]
    private var index: [Int]
    /// Run numbers, a binary min-heap by each run's next key (ties by run number, so earlier batches first).
    private var heap: [Int] = []

    init(runs: [[ZoneTree.Chunk]]) {
        self.runs = runs
        chunk = Array(repeating: 0, count: runs.count)
        index = Array(repeating: 0, count: runs.count)
        for r in runs.indices where !runs[r].isEmpty && runs[r][0].count > 0 { push(r) }
    }

    /// Every record with the smallest key left (one per run holding it), or nil when all are merged.
    mutating func next() -> [(key: ArraySlice<UInt8>, node: SignedZone.Node)]? {
        guard !heap.isEmpty else { return nil }
        var group = [take()]
        while let top = heap.first, compare(top, group[0].key) == 0 { group.append(take()) }
        return group
    }

    /// The next key of run `r` against `key`.
    private func compare(_ r: Int, _ key: ArraySlice<UInt8>) -> Int {
        let c = runs[r][chunk[r]]
        let range = c.keyRange(index[r])
        return c.bytes.withUnsafeBytes { all in
            key.withUnsafeBytes { NameKey.compare(UnsafeRawBufferPointer(rebasing: all[range]), $0) }
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let cb = runs[b][chunk[b]]
        let c = compare(a, cb.bytes[cb.keyRange(index[b])])
        return c < 0 || (c == 0 && a < b)
    }

    /// The top run's record; the run moves on (dropping a chunk it has left) and goes back into the heap.
    private mutating func take() -> (key: ArraySlice<UInt8>, node: SignedZone.Node) {
        let r = heap[0]
        let c = runs[r][chunk[r]]
        let out = (c.bytes[c.keyRange(index[r])], c.node(index[r]))
        index[r] += 1
        if index[r] == c.count {
            runs[r][chunk[r]] = ZoneTree.Chunk()
            chunk[r] += 1
            index[r] = 0
        }
        if chunk[r] < runs[r].count {
            siftDown(0)
        } else {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
            if !heap.isEmpty { siftDown(0) }
        }
        return out
    }

    private mutating func push(_ r: Int) {
        heap.append(r)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < heap.count && less(heap[l], heap[smallest]) { smallest = l }
            if r < heap.count && less(heap[r], heap[smallest]) { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
