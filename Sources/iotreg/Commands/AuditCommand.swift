import ArgumentParser
import RegistryCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Work with the tamper-evident audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log's hash chain; exits 0 only when it is intact.")

        @OptionGroup var options: DataOptions

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let settings = try home.settings()
            let store = try await home.openStore(databaseURL: options.database ?? settings.database)
            let result = try await Registry(store: store).verifyAudit()
            if let problem = result.problem {
                print("audit log BROKEN after \(result.entriesChecked) intact entries: \(problem)")
                throw ExitCode.failure
            }
            print("audit log intact: \(result.entriesChecked) entries, hash chain and head verified")
        }
    }
}
