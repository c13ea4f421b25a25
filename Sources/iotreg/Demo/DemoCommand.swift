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

    @Option(
        help: "Play over this PostgreSQL database (postgres://...) instead of the embedded SQLite; it must be empty.")
    var database: String?

    @Option(help: "How many registry nodes share the database (2 needs --database): the parties spread over them.")
    var nodes: Int = 1

    @Option(
        help: ArgumentHelp(
            "Serve the zone to meters and ASPs from an NSD secondary (TSIG transfers, NOTIFY, DoT) instead of the "
                + "signing node.", valueName: "nsd"))
    var secondary: String?

    func validate() throws {
        guard (1...1_000_000).contains(devices) else { throw ValidationError("--devices is 1 to 1,000,000") }
        guard (0...devices).contains(deactivate) else { throw ValidationError("--deactivate is 0 to --devices") }
        guard (1...2).contains(nodes) else { throw ValidationError("--nodes is 1 or 2") }
        guard nodes == 1 || database?.hasPrefix("postgres") == true else {
            throw ValidationError("--nodes 2 needs --database postgres://...: nodes share one PostgreSQL, not SQLite")
        }
        guard secondary == nil || secondary == "nsd" else { throw ValidationError("--secondary takes nsd") }
        guard nodes == 1 || secondary != nil else {
            // A payload names one resolver; only a secondary answers whichever node holds the signer's lease.
            throw ValidationError(
                "--nodes 2 needs --secondary nsd: meters must resolve from a server that follows the signer")
        }
    }

    func run() async throws {
        let folder: URL
        if let data {
            folder = URL(fileURLWithPath: data)
        } else {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("iotreg-demo-\(UUID().uuidString)")
        }
        let story = try await CityStory.start(
            folder: folder, devices: devices, deactivate: deactivate, revocationBound: revocationBound,
            topology: .init(database: database, nodes: nodes, secondary: secondary != nil))
        let report = await story.play()
        await story.stop()
        if data == nil { try? FileManager.default.removeItem(at: folder) }
        print(report.table)
        guard report.allPassed else { throw ExitCode(1) }
    }
}
