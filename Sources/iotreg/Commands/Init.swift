import ArgumentParser
import DNSSEC
import Foundation
import PKI
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

    @Option(
        name: .long,
        help: "The REST API's public base URL, written into certificates (CRL, OCSP and CA issuer addresses).")
    var publicUrl: String = "http://127.0.0.1:8080"

    func validate() throws {
        guard zone.hasSuffix("."), zone.count > 2 else {
            throw ValidationError("--zone must be an absolute DNS name ending in '.', e.g. iotregistry.test.")
        }
    }

    func run() async throws {
        let home = RegistryHome(path: options.data)
        let token = try await home.initialise(
            zone: zone.lowercased(), database: options.database, publicURL: publicUrl)
        print("Registry created in \(home.directory.path) for zone \(zone.lowercased())")
        let hierarchy = try home.loadHierarchy()
        print(
            "CA: root \(hierarchy.root.keyIdentifier.hex), issuing \(hierarchy.issuing.values.map(\.keyIdentifier.hex).sorted().joined(separator: ", ")) (keys encrypted under \(home.directory.path)/operator.key or $IOTREG_KEY_FILE / $IOTREG_PASSPHRASE)"
        )
        let keys = try home.zoneKeys(create: true)
        print(
            "DNSSEC: KSK tag \(keys.keySigningKey.keyTag), ZSK tag \(keys.zoneSigningKey.keyTag); trust anchor: `iotreg zone trust-anchor`"
        )
        print("Operator token (shown once; also in \(home.tokenURL.path), mode 0600):")
        print(token.secret)
    }
}
