import DNSWire
import Testing

@testable import DNSSEC

/// The chunked NSEC-chain order behaves as one sorted array through inserts and removals that split and empty
/// chunks.
@Suite struct SortedNamesTests {
    @Test func matchesASortedArrayThroughRandomChanges() throws {
        let apex = try DNSName("zone.test.")
        func name(_ n: Int) throws -> DNSName { try DNSName("n\(n).d\(n % 7)", origin: apex) }
        var generator = SystemRandomNumberGenerator()
        var reference = try (0..<300).map(name).sorted()  // two chunks, that grow past splitting
        var names = SortedNames(reference)
        for step in 0..<3_000 {
            let candidate = try name(Int.random(in: 0..<4_000, using: &generator))
            let i = names.lowerBound(candidate)
            #expect(i == reference.firstIndex { !($0 < candidate) } ?? reference.count)
            if i < names.count, names[i] == candidate {
                names.remove(at: i)
                reference.remove(at: i)
            } else {
                names.insert(candidate, at: i)
                reference.insert(candidate, at: i)
            }
            if step % 500 == 0 || step == 2_999 {
                #expect(names.count == reference.count)
                #expect(Array(names) == reference)
                for k in stride(from: 0, to: reference.count, by: 37) { #expect(names[k] == reference[k]) }
            }
        }
        // Down to nothing and back.
        while names.count > 0 { names.remove(at: names.count / 2) }
        #expect(Array(names).isEmpty && names.lowerBound(apex) == 0)
        names.insert(apex, at: 0)
        #expect(Array(names) == [apex])
    }

    @Test func theParallelSortGivesTheCanonicalOrder() throws {
        let apex = try DNSName("zone.test.")
        var generator = SystemRandomNumberGenerator()
        let names = try (0..<10_000).map { _ in
            try DNSName(
                "n\(Int.random(in: 0..<100_000, using: &generator)).D\(Int.random(in: 0..<9, using: &generator))",
                origin: apex)
        }
        #expect(ParallelBuild.sortedOrder(names).map { names[$0] } == names.sorted())
    }
}

@Suite("The table of owner names")
struct NodeTableTests {
    @Test("a table larger than the minimum of shards finds every name, and a change touches one name only")
    func largeTableFindsEveryName() throws {
        // 300,000 names: more shards than the minimum (about 256 names a shard).
        let names = try (0..<300_000).map { try DNSName("n\($0).iotregistry.test.") }
        let marker = SignedZone.Node(entries: [
            SignedZone.Entry(type: .txt, ttl: 1, rdatas: [try RData(type: .txt, presentation: "\"x\"")], signatures: [])
        ])
        var table = NodeTable(names: names, nodes: names.map { _ in SignedZone.Node() })
        #expect(names.allSatisfy { table[$0] != nil })
        #expect(table[try DNSName("absent.iotregistry.test.")] == nil)
        let served = table
        table[names[12_345]] = marker
        #expect(table[names[12_345]]?.types == [.txt])
        #expect(served[names[12_345]]?.types == [], "the copy being served did not change")
        #expect(table[names[12_346]]?.types == [])
        #expect(Array(table).count == names.count)
    }
}
