import Foundation
import PeerTesting
import RegistryCore
import Testing

/// Python's arbitrary-precision integers check the MOD 97-10 property of our EIDs on the whole 32-digit number.
@Suite("Identifiers checked by a peer (python3 bignums)")
struct IdentifierPeerTests {
    @Test(.enabled(if: PeerTool.isAvailable("python3")))
    func pythonAgreesOnGeneratedAndMutatedEIDs() throws {
        var generator = SplitMix(seed: 7064)
        var candidates: [String] = []
        for _ in 0..<300 {
            let body = (0..<30).map { _ in String(generator.next() % 10) }.joined()
            let valid = try EID.withCheckDigits(body: body).digits
            candidates.append(valid)
            var bytes = Array(valid.utf8)
            let position = Int(generator.next() % 32)
            bytes[position] =
                UInt8(ascii: "0") + UInt8((Int(bytes[position]) - 48 + 1 + Int(generator.next() % 9)) % 10)
            candidates.append(String(decoding: bytes, as: UTF8.self))
        }
        let script =
            "import sys\nfor line in sys.stdin.read().split():\n    print('1' if int(line) % 97 == 1 else '0')\n"
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(candidates.joined(separator: "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let verdicts = result.stdout.split(separator: "\n").map { $0 == "1" }
        #expect(verdicts.count == candidates.count)
        for (candidate, peerSaysValid) in zip(candidates, verdicts) {
            #expect(((try? EID(candidate)) != nil) == peerSaysValid, "\(candidate)")
        }
        #expect(verdicts.filter { $0 }.count == 300)
    }
}
