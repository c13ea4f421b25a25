import Testing

@testable import DNSWire

/// A small deterministic generator (SplitMix64), so every run feeds the same inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated packets must make the decoder throw or succeed, never trap or hang; whatever decodes must
/// re-encode and decode to the same message (hickory's `fuzz_targets/message.rs` property).
@Suite struct FuzzTests {
    static func seeds() throws -> [[UInt8]] {
        var m = try MessageTests.sample()
        var seeds = [m.encode()]
        m.answers.append(
            ResourceRecord(
                name: try DNSName("x.example."), ttl: 1,
                rdata: try RData(
                    type: .rrsig,
                    presentation: "A 13 2 300 20261223000000 20261123000000 1 example. AAECAwQFBgcICQ==")))
        m.answers.append(
            ResourceRecord(
                name: try DNSName("x.example."), ttl: 1,
                rdata: try RData(type: .nsec, presentation: "y.example. A RRSIG NSEC TYPE1234")))
        m.answers.append(
            ResourceRecord(
                name: try DNSName("x.example."), ttl: 1,
                rdata: try RData(
                    type: .soa, presentation: "ns.example. h.example. 1 2 3 4 5")))
        seeds.append(m.encode())
        return seeds
    }

    @Test func mutatedPacketsNeverTrap() throws {
        var rng = SplitMix64(state: 0x1077_2E6)
        let seeds = try Self.seeds()
        var decoded = 0
        for round in 0..<20_000 {
            var p = seeds[round % seeds.count]
            switch round % 5 {
            case 0:  // flip bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    p[Int.random(in: 0..<p.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 1:  // truncate
                p = Array(p.prefix(Int.random(in: 0..<p.count, using: &rng)))
            case 2:  // plant compression pointers
                let at = Int.random(in: 12..<(p.count - 1), using: &rng)
                p[at] = 0xC0 | UInt8.random(in: 0...0x3F, using: &rng) & 0x01
                p[at + 1] = UInt8.random(in: 0...255, using: &rng)
            case 3:  // wrong counts
                p[4 + 2 * Int.random(in: 0..<4, using: &rng) + 1] = UInt8.random(in: 0...255, using: &rng)
            default:  // random bytes, sometimes oversized
                let n = Int.random(in: 0...(round % 50 == 4 ? 70_000 : 600), using: &rng)
                p = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            if let m = try? Message(wire: p, limits: .init(maxQuestions: 4)) {
                decoded += 1
                let again = try Message(wire: m.encode(), limits: .init(maxQuestions: 4))
                #expect(again == m)
            }
        }
        #expect(decoded > 100)
    }

    @Test func randomPresentationNeverTraps() {
        var rng = SplitMix64(state: 42)
        let alphabet = Array("0123456789abcdefABCDEF .\\\"();#-:*@$\n\t".utf8)
        let types: [RecordType] = [.a, .aaaa, .ns, .soa, .txt, .tlsa, .cert, .dnskey, .ds, .rrsig, .nsec, .nsec3param]
        for round in 0..<5_000 {
            let n = Int.random(in: 0...60, using: &rng)
            let text = String(decoding: (0..<n).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
            _ = try? RData(type: types[round % types.count], presentation: text, origin: .root)
            _ = try? ZoneFileReader(origin: .root, defaultTTL: 1).read("x " + text)
            _ = try? DNSName(text)
        }
    }
}
