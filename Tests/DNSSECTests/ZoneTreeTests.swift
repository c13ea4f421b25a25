import DNSWire
import Testing

@testable import DNSSEC

/// The zone's names in canonical order, packed in chunks: the order of their byte keys is the canonical order, and
/// the tree behaves as one sorted array through additions and removals that split and empty chunks.
@Suite struct ZoneTreeTests {
    let apex: DNSName

    init() throws { apex = try DNSName("zone.test.") }

    func node(_ text: String) throws -> SignedZone.Node {
        SignedZone.Node(
            entries: [
                SignedZone.Entry(
                    type: .txt, ttl: 1, rdatas: [try RData(type: .txt, presentation: "\"\(text)\"")], signatures: [])
            ], owner: apex, apex: apex)
    }

    func text(_ node: SignedZone.Node?) -> String? {
        guard let e = node?.entry(.txt, signatures: false, .init(owner: apex, apex: apex, next: nil)),
            case .txt(let t)? = e.rdatas.first
        else { return nil }
        return t.strings.first.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("byte keys sort as RFC 4034 canonical order, with 0 and 1 octets, case and label lengths")
    func keysSortCanonically() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0, 1, 2, 0x2D, 0x41, 0x5A, 0x61, 0x7A, 0x5F, 0xFF]
        var names: [DNSName] = [apex]
        for _ in 0..<2_000 {
            var wire: [UInt8] = []
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let label = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator)!
                }
                wire += [UInt8(label.count)] + label
            }
            names.append(try DNSName(wire: wire + apex.wire))
        }
        let byKey = names.sorted { a, b in
            NameKey.make(a, apex: apex).withUnsafeBytes { x in
                NameKey.make(b, apex: apex).withUnsafeBytes { y in NameKey.compare(x, y) < 0 }
            }
        }
        let canonical = names.sorted()
        #expect(byKey.map { $0.lowercased().wire } == canonical.map { $0.lowercased().wire })
        for n in names {
            let key = NameKey.make(n, apex: apex)
            #expect(NameKey.name(key, 0..<key.count, apex: apex) == n)
        }
    }

    @Test("the tree matches a sorted array through thousands of additions and removals, one at a time and in batches")
    func matchesASortedArray() throws {
        func name(_ n: Int) throws -> DNSName { try DNSName("n\(n).d\(n % 7)", origin: apex) }
        var generator = SystemRandomNumberGenerator()
        var reference: [DNSName: String] = [:]
        var tree = ZoneTree(apex: apex)
        for step in 0..<3_000 {
            var batch: [(name: DNSName, node: SignedZone.Node?)] = []
            var names: Set<DNSName> = []
            for _ in 0..<(step % 10 == 0 ? 40 : 1) {
                let candidate = try name(Int.random(in: 0..<2_000, using: &generator))
                guard names.insert(candidate).inserted else { continue }
                if reference[candidate] != nil, Bool.random(using: &generator) {
                    batch.append((candidate, nil))
                    reference[candidate] = nil
                } else {
                    batch.append((candidate, try node("\(step)")))
                    reference[candidate] = "\(step)"
                }
            }
            tree.update(batch)
            if step % 250 == 0 || step == 2_999 {
                let sorted = reference.keys.sorted()
                var inTree: [DNSName] = []
                tree.forEach { inTree.append(tree.name(at: $0)) }
                #expect(inTree == sorted)
                #expect(tree.count == sorted.count)
                for (i, n) in sorted.enumerated() {
                    #expect(text(tree[n]) == reference[n])
                    #expect(tree.nextName(after: n) == sorted[(i + 1) % sorted.count])
                    #expect(tree.previousName(before: n) == sorted[(i + sorted.count - 1) % sorted.count])
                }
                let absent = try name(5_000 + step)
                let before = sorted.last { $0 < absent } ?? sorted.last
                #expect(tree[absent] == nil)
                #expect(tree.previousName(before: absent) == before)
            }
        }
        // Down to nothing and back.
        tree.update(reference.keys.map { ($0, nil) })
        #expect(tree.count == 0 && tree[apex] == nil)
        tree.set(try node("apex"), for: apex)
        #expect(text(tree[apex]) == "apex" && tree.nextName(after: apex) == apex)
    }

    @Test("a 300,000-name tree finds every name, and a change leaves the copy being served as it was")
    func largeTreeFindsEveryName() throws {
        let names = try (0..<300_000).map { try DNSName("n\($0)", origin: apex) }.sorted()
        var tree = ZoneTree(apex: apex)
        let empty = try node("")
        for start in stride(from: 0, to: names.count, by: ZoneTree.chunkSize) {
            tree.append(
                ZoneTree.Chunk(
                    names[start..<min(names.count, start + ZoneTree.chunkSize)].map {
                        (NameKey.make($0, apex: apex)[...], [empty.octets])
                    }))
        }
        #expect(tree.count == names.count)
        #expect(names.allSatisfy { tree[$0] != nil })
        #expect(tree[try DNSName("absent", origin: apex)] == nil)
        let served = tree
        tree.set(try node("changed"), for: names[12_345])
        #expect(text(tree[names[12_345]]) == "changed")
        #expect(text(served[names[12_345]]) == "", "the copy being served did not change")
        #expect(text(tree[names[12_346]]) == "")
    }

    @Test func theParallelSortGivesTheCanonicalOrder() throws {
        var generator = SystemRandomNumberGenerator()
        let names = try (0..<10_000).map { _ in
            try DNSName(
                "n\(Int.random(in: 0..<100_000, using: &generator)).D\(Int.random(in: 0..<9, using: &generator))",
                origin: apex)
        }
        let nodes = names.map {
            SignedZone.Node(entries: [], owner: $0, apex: apex, key: NameKey.make($0, apex: apex))
        }
        #expect(ParallelBuild.sortedOrder(keysOf: nodes).map { names[$0] } == names.sorted())
    }
}
