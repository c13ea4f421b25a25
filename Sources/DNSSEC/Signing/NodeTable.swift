import DNSWire
import Dispatch

/// The zone's owner names and their RRsets, split into shards by the name's hash.
///
/// Why shards: the snapshot being served and the signer's working copy share one table (copy-on-write). As one
/// dictionary, every change copied the whole table, about three quarters of a one-device change at 100,000 devices
/// (`perf` on `bench-zone-publish`), and freeing the old version cost as much again. Sharded, a change copies the
/// array of shard references and only the shards it touches.
struct NodeTable: Sendable, Sequence {
    typealias Node = SignedZone.Node
    static let shardCount = 1024

    private var shards: [[DNSName: Node]]

    /// The table of `names[i]` to `nodes[i]`, plus room for `extra` more, filled on all cores: the names are hashed
    /// in parallel, then each shard is filled by one worker.
    init(names: [DNSName], nodes: [Node], extra: Int = 0) {
        let count = Swift.min(names.count, nodes.count)
        let shardOf = ParallelSlots<Int>(count: count, initial: 0)
        let chunk = Swift.max(1024, count / 64)
        DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
            for i in (c * chunk)..<Swift.min(count, (c + 1) * chunk) { shardOf.slots[i] = Self.shard(of: names[i]) }
        }
        // The positions of each shard's names, one shard after another (a counting sort).
        var starts = [Int](repeating: 0, count: Self.shardCount + 1)
        for i in 0..<count { starts[shardOf.slots[i] + 1] += 1 }
        for s in 0..<Self.shardCount { starts[s + 1] += starts[s] }
        var fill = starts
        var grouped = [Int](repeating: 0, count: count)
        for i in 0..<count {
            grouped[fill[shardOf.slots[i]]] = i
            fill[shardOf.slots[i]] += 1
        }
        let bounds = starts
        let positions = grouped
        let filled = ParallelSlots<[DNSName: Node]>(count: Self.shardCount, initial: [:])
        let perShardExtra = extra / Self.shardCount + 1
        DispatchQueue.concurrentPerform(iterations: Self.shardCount) { s in
            var shard: [DNSName: Node] = [:]
            shard.reserveCapacity(bounds[s + 1] - bounds[s] + perShardExtra)
            for k in bounds[s]..<bounds[s + 1] { shard[names[positions[k]]] = nodes[positions[k]] }
            filled.slots[s] = shard
        }
        shards = Array(filled.slots)
    }

    private static func shard(of name: DNSName) -> Int {
        Int(UInt(bitPattern: name.hashValue) % UInt(shardCount))
    }

    subscript(name: DNSName) -> Node? {
        get { shards[Self.shard(of: name)][name] }
        _modify {
            let index = Self.shard(of: name)
            yield &shards[index][name]
        }
    }

    /// Every owner name, in no particular order.
    var keys: [DNSName] { shards.flatMap(\.keys) }

    func makeIterator() -> FlattenSequence<[[DNSName: Node]]>.Iterator { shards.joined().makeIterator() }
}
