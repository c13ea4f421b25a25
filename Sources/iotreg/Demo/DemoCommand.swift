import ArgumentParser
import Foundation

/// `iotreg demo`: the city story of DESIGN.md, played on loopback with real listeners and nobody in the loop.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play the city story on this machine: procurement, registration, activation over the MNO, "
            + "DANE-checked connections, a zero-touch transfer to another cloud, deactivation. Exit 0 only if every "
            + "meter did every step.")

    @Option(help: "How many parking meters.")
    var devices: Int = 1000

    @Option(help: "How many meters the city deactivates at the end.")
    var deactivate: Int = 3

    @Option(help: "Keep the registry, eSIMs and logs in this folder (default: a temporary folder, removed).")
    var data: String?

    @Option(help: "TLSA and negative TTL in seconds: how soon a deactivation reaches every ASP.")
    var revocationBound: UInt32 = 5

    func validate() throws {
        guard (1...1_000_000).contains(devices) else { throw ValidationError("--devices is 1 to 1,000,000") }
        guard (0...devices).contains(deactivate) else { throw ValidationError("--deactivate is 0 to --devices") }
    }

    func run() async throws {
        let folder: URL
        if let data {
            folder = URL(fileURLWithPath: data)
        } else {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("iotreg-demo-\(UUID().uuidString)")
        }
        let story = try await CityStory.start(
            folder: folder, devices: devices, deactivate: deactivate, revocationBound: revocationBound)
        let report = await story.play()
        await story.stop()
        if data == nil { try? FileManager.default.removeItem(at: folder) }
        print(report.table)
        guard report.allPassed else { throw ExitCode(1) }
    }
}
