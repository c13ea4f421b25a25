import DNSWire

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

    init(capacity: Int = 0) {
        let perShard = capacity / Self.shardCount + 1
        shards = (0..<Self.shardCount).map { _ in
            var shard: [DNSName: Node] = [:]
            shard.reserveCapacity(perShard)
            return shard
        }
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

    /// Copies every node's bytes into a new block of exactly their size, the shards' order being the heap's
    /// order of allocation: after a build frees its working data, the copies fill the freed space and the
    /// originals, freed in turn, leave whole pages that the allocator can return.
    mutating func compact() {
        for s in shards.indices {
            for i in shards[s].values.indices { shards[s].values[i].compact() }
        }
    }

    /// Every owner name, in no particular order.
    var keys: [DNSName] { shards.flatMap(\.keys) }

    func makeIterator() -> FlattenSequence<[[DNSName: Node]]>.Iterator { shards.joined().makeIterator() }
}
