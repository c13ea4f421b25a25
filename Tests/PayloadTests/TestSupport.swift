import Foundation

/// Hex helpers for test vectors (RFCs print bytes as hex).
extension Array where Element == UInt8 {
    init(hex: String) {
        let clean = hex.filter { !$0.isWhitespace }
        var out: [UInt8] = []
        var index = clean.startIndex
        while index < clean.endIndex {
            let next = clean.index(index, offsetBy: 2)
            out.append(UInt8(clean[index..<next], radix: 16) ?? 0)
            index = next
        }
        self = out
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// A deterministic pseudo-random generator (SplitMix64) so fuzz tests replay identically.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated inputs for "must throw, never trap" parser tests.
enum Fuzz {
    static func inputs(seeds: [[UInt8]], count: Int, seed: UInt64 = 0x10_7EE6) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        var out: [[UInt8]] = []
        for i in 0..<count {
            if i % 2 == 0 || seeds.isEmpty {
                let length = Int.random(in: 0..<64, using: &rng)
                out.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
            } else {
                var bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where !bytes.isEmpty:
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 1 where !bytes.isEmpty:
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
                case 2:
                    bytes.insert(
                        UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default:
                    for _ in 0..<3 where !bytes.isEmpty {
                        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                }
                out.append(bytes)
            }
        }
        return out
    }
}
