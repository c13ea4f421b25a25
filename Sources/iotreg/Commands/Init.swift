import ArgumentParser
import Foundation
import RegistryCore

struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The registry's data folder (default ./iotreg-data or $IOTREG_DATA).")
    var data: String?

    @Option(name: .long, help: "The database: postgres://user@host:5432/db, or a SQLite file (default: in --data).")
    var database: String?
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a registry's data folder: database, keys, and the operator token (printed once).")

    @OptionGroup var options: DataOptions

    @Option(name: .long, help: "The registry's DNS zone.")
    var zone: String = "iotregistry.test."

    func validate() throws {
        guard zone.hasSuffix("."), zone.count > 2 else {
            throw ValidationError("--zone must be an absolute DNS name ending in '.', e.g. iotregistry.test.")
        }
    }

    func run() async throws {
        let home = RegistryHome(path: options.data)
        let token = try await home.initialise(zone: zone.lowercased(), database: options.database)
        print("Registry created in \(home.directory.path) for zone \(zone.lowercased())")
        print("Operator token (shown once; also in \(home.tokenURL.path), mode 0600):")
        print(token.secret)
    }
}
