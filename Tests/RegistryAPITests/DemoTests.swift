import Foundation
import PeerTesting
import Testing

/// `iotreg demo` plays the whole city story with real listeners on loopback and exits 0 only when every meter did
/// every step (issue 6's "done when", at a size CI can afford; the benchmark runs 1,000 and more).
@Suite struct DemoTests {
    @Test func theCityStoryHoldsForEveryMeter() async throws {
        let dir = try PeerTool.temporaryDirectory("iotreg-demo")
        let data = dir.appendingPathComponent("demo").path
        let result = try await PeerTool.runDetached(
            CACommandTests.binary, ["demo", "--devices", "12", "--deactivate", "2", "--data", data], timeout: 300)
        #expect(result.status == 0, "\(result.output.suffix(3000))")
        for step in [
            "3 registry registration", "4 activation + payload OTA", "5 connection (DANE mTLS)",
            "6 transfer -> reconnected", "6b old ASP refuses moved meters", "7 renewal (EST) -> reconnected",
            "8 deactivation enforced",
        ] {
            let line = result.stdout.split(separator: "\n").first { $0.hasPrefix(step) }
            #expect(line?.contains(" ok") == true, "step '\(step)': \(line ?? "missing")")
        }
        #expect(result.stdout.contains("Every meter did every step."))
        // No private key lies in the clear in the registry's folder (CA, DNSSEC, payload signer, DoT: all sealed).
        let registry = URL(fileURLWithPath: data + "/registry")
        let files = FileManager.default.enumerator(at: registry, includingPropertiesForKeys: nil)?.allObjects ?? []
        for case let file as URL in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            #expect(!text.contains("PRIVATE KEY"), "\(file.path) holds a private key in the clear")
        }
        // What the demo left behind is a registry like any other: its audit chain verifies.
        let audit = try PeerTool.run(CACommandTests.binary, ["audit", "verify", "--data", data + "/registry"])
        #expect(audit.status == 0, "\(audit.output)")
    }
}
