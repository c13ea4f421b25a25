import DNSWire
import Dispatch

/// The zone's owner names and their RRsets, split into shards by the name's hash.
///
/// Why shards: the snapshot being served and the signer's working copy share one table (copy-on-write). As one
/// dictionary, every change copied the whole table, about three quarters of a one-device change at 100,000 devices
/// (`perf` on `bench-zone-publish`), and freeing the old version cost as much again. Sharded, a change copies the
/// array of shard references and only the shards it touches.
///
/// Why the shard count follows the zone's size (about 256 names a shard, at least 1,024 shards): a batch of
/// thousands of changed devices touches nearly every shard. With a fixed 1,024 shards, at ten million devices
/// each batch copied the whole table, 20 million entries, and the zone followed the database at under 500 devices
/// a second (`bench-zone-rebuild`).
struct NodeTable: Sendable, Sequence {
    typealias Node = SignedZone.Node
    static let namesPerShard = 256
    static let minimumShards = 1024

    private var shards: [[DNSName: Node]]

    /// The table of `names[i]` to `nodes[i]`, plus room for `extra` more, filled on all cores: the names are hashed
    /// in parallel, then each shard is filled by one worker.
    init(names: [DNSName], nodes: [Node], extra: Int = 0) {
        let count = Swift.min(names.count, nodes.count)
        let shardCount = Swift.max(Self.minimumShards, (count + extra) / Self.namesPerShard)
        let shardOf = ParallelSlots<Int>(count: count, initial: 0)
        let chunk = Swift.max(1024, count / 64)
        DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
            for i in (c * chunk)..<Swift.min(count, (c + 1) * chunk) {
                shardOf.slots[i] = Self.shard(of: names[i], among: shardCount)
            }
        }
        // The positions of each shard's names, one shard after another (a counting sort).
        var starts = [Int](repeating: 0, count: shardCount + 1)
        for i in 0..<count { starts[shardOf.slots[i] + 1] += 1 }
        for s in 0..<shardCount { starts[s + 1] += starts[s] }
        var fill = starts
        var grouped = [Int](repeating: 0, count: count)
        for i in 0..<count {
            grouped[fill[shardOf.slots[i]]] = i
            fill[shardOf.slots[i]] += 1
        }
        let bounds = starts
        let positions = grouped
        let filled = ParallelSlots<[DNSName: Node]>(count: shardCount, initial: [:])
        let perShardExtra = extra / shardCount + 1
        DispatchQueue.concurrentPerform(iterations: shardCount) { s in
            var shard: [DNSName: Node] = [:]
            shard.reserveCapacity(bounds[s + 1] - bounds[s] + perShardExtra)
            for k in bounds[s]..<bounds[s + 1] { shard[names[positions[k]]] = nodes[positions[k]] }
            filled.slots[s] = shard
        }
        shards = Array(filled.slots)
    }

    private static func shard(of name: DNSName, among count: Int) -> Int {
        Int(UInt(bitPattern: name.hashValue) % UInt(count))
    }

    subscript(name: DNSName) -> Node? {
        get { shards[Self.shard(of: name, among: shards.count)][name] }
        _modify {
            let index = Self.shard(of: name, among: shards.count)
            yield &shards[index][name]
        }
    }

    /// Every owner name, in no particular order.
    var keys: [DNSName] { shards.flatMap(\.keys) }

    func makeIterator() -> FlattenSequence<[[DNSName: Node]]>.Iterator { shards.joined().makeIterator() }
}
