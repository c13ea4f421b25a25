import DNSWire
import Dispatch

/// Signs a zone's names from scratch on all cores: each worker takes a run of names in canonical order and, for
/// each, adds the NSEC to its successor, signs every RRset and packs the node. Only the sort before and the table
/// after run on one core.
enum ParallelBuild {
    struct Input: Sendable {
        /// The authoritative names in canonical order, and their RRsets (same positions).
        var names: [DNSName]
        var entries: [[SignedZone.Entry]]
        var cuts: Set<DNSName>
        var keys: ZoneKeys
        var apex: DNSName
        var nsecTTL: UInt32
        var inception: UInt32
        var expiration: UInt32
    }

    /// The packed, signed node of every name in `input.names`, at the same positions.
    static func build(_ input: Input) throws -> [SignedZone.Node] {
        let count = input.names.count
        let chunkSize = max(64, count / 256)
        let chunks = (count + chunkSize - 1) / chunkSize
        let nodes = ParallelSlots(count: count, initial: SignedZone.Node())
        let failures = ParallelSlots(count: chunks, initial: false)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in (c * chunkSize)..<min(count, (c + 1) * chunkSize) {
                guard let node = try? node(at: i, input) else {
                    failures.slots[c] = true
                    return
                }
                nodes.slots[i] = node
            }
        }
        guard !failures.slots.contains(true) else {
            throw DNSSECError(.signingFailed, "ECDSA signing failed for at least one RRset")
        }
        return Array(nodes.slots)
    }

    /// `names` in canonical order: two halves sorted at once, then merged (the sort is the largest step of a
    /// from-scratch build that is not signing).
    static func sorted(_ names: [DNSName]) -> [DNSName] {
        guard names.count >= 4096 else { return names.sorted() }
        let half = names.count / 2
        let parts = ParallelSlots<[DNSName]>(count: 2, initial: [])
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            parts.slots[p] = (p == 0 ? names[..<half] : names[half...]).sorted()
        }
        let a = parts.slots[0]
        let b = parts.slots[1]
        var out: [DNSName] = []
        out.reserveCapacity(names.count)
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if DNSName.canonicalCompare(b[j], a[i]) < 0 {
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

    private static func node(at i: Int, _ input: Input) throws -> SignedZone.Node {
        let name = input.names[i]
        let next = input.names[(i + 1) % input.names.count]
        var entries = input.entries[i]
        entries.append(
            SignedZone.Entry(
                type: .nsec, ttl: input.nsecTTL, rdatas: [.nsec(SignedZone.nsec(for: entries, next: next))],
                signatures: []))
        for k in entries.indices where SignedZone.isSigned(name, entries[k].type, cuts: input.cuts) {
            let e = entries[k]
            entries[k].signatures = [
                try RRSetSigner.sign(
                    RRSet(name: name, type: e.type, ttl: e.ttl, rdatas: e.rdatas),
                    key: SignedZone.signingKey(for: e.type, in: input.keys), signer: input.apex,
                    inception: input.inception, expiration: input.expiration)
            ]
        }
        return SignedZone.Node(entries: entries)
    }
}
