import DNSWire
import Dispatch

/// The steps of a from-scratch build that run on all cores: signing and packing a batch of names, the sort, and
/// the NSEC chain. Only the merge of the sort and the table after run on one core.
enum ParallelBuild {
    /// What every signature of one build shares.
    struct Signing: Sendable {
        var keys: ZoneKeys
        var apex: DNSName
        var inception: UInt32
        var expiration: UInt32

        func sign(_ name: DNSName, _ e: SignedZone.Entry) throws -> RRSIG {
            try RRSetSigner.sign(
                RRSet(name: name, type: e.type, ttl: e.ttl, rdatas: e.rdatas),
                key: SignedZone.signingKey(for: e.type, in: keys), signer: apex, inception: inception,
                expiration: expiration)
        }

        /// Signs every RRset of `entries` that has no signature yet.
        func signUnsigned(_ name: DNSName, _ entries: inout [SignedZone.Entry]) throws {
            for k in entries.indices where entries[k].signatures.isEmpty && !entries[k].rdatas.isEmpty {
                entries[k].signatures = [try sign(name, entries[k])]
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on all cores, in runs of at least `minimumRun`; throws
    /// `signingFailed` when any call threw.
    static func forEach(count: Int, minimumRun: Int = 64, _ body: @Sendable (Int) throws -> Void) throws {
        guard count > 0 else { return }
        let run = max(minimumRun, count / 256)
        let runs = (count + run - 1) / run
        let failures = ParallelSlots(count: runs, initial: false)
        DispatchQueue.concurrentPerform(iterations: runs) { r in
            for i in (r * run)..<min(count, (r + 1) * run) {
                do { try body(i) } catch {
                    failures.slots[r] = true
                    return
                }
            }
        }
        guard !failures.slots.contains(true) else {
            throw DNSSECError(.signingFailed, "ECDSA signing failed for at least one RRset")
        }
    }

    /// The packed node of each of `names`, after its ``NameKey``, every RRset signed as if authoritative.
    static func signed(_ names: [DNSName], _ entries: [[SignedZone.Entry]], _ signing: Signing) throws
        -> [SignedZone.Node]
    {
        let nodes = ParallelSlots(count: names.count, initial: SignedZone.Node())
        try forEach(count: names.count) { i in
            var e = entries[i]
            try signing.signUnsigned(names[i], &e)
            nodes.slots[i] = SignedZone.Node(
                entries: e, owner: names[i], apex: signing.apex, key: NameKey.make(names[i], apex: signing.apex))
        }
        return Array(nodes.slots)
    }

    /// The positions of keyed `nodes` (``SignedZone/Node/key``) in canonical order of their names.
    static func sortedOrder(keysOf nodes: [SignedZone.Node]) -> [Int] {
        sortedOrder(count: nodes.count) { a, b in
            nodes[a].bytes.withUnsafeBytes { x in
                nodes[b].bytes.withUnsafeBytes { y in
                    NameKey.compare(
                        UnsafeRawBufferPointer(rebasing: x[2..<nodes[a].start]),
                        UnsafeRawBufferPointer(rebasing: y[2..<nodes[b].start])) < 0
                }
            }
        }
    }

    /// The positions `0..<count` sorted by `less`: two halves sorted at once, then merged (the sort is the
    /// largest step of a from-scratch build that is not signing).
    static func sortedOrder(count: Int, less: @escaping @Sendable (Int, Int) -> Bool) -> [Int] {
        guard count >= 4096 else { return (0..<count).sorted(by: less) }
        let half = count / 2
        let parts = ParallelSlots<[Int]>(count: 2, initial: [])
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            parts.slots[p] = Array(p == 0 ? 0..<half : half..<count).sorted(by: less)
        }
        let a = parts.slots[0]
        let b = parts.slots[1]
        var out: [Int] = []
        out.reserveCapacity(count)
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if less(b[j], a[i]) {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        out += a[i...]
        out += b[j...]
        return out
    }
}
