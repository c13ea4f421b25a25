import ArgumentParser
import DNSSEC
import DNSWire
import Foundation
import Logging
import RegistryCore
import RegistryZone

struct ZoneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zone", abstract: "The registry's DNSSEC-signed zone.",
        subcommands: [TrustAnchor.self, Export.self, Check.self, Secondary.self])

    /// A publisher over the data folder's database that leaves the serial file alone (the server owns it).
    static func offlinePublisher(_ options: DataOptions) async throws -> (RegistryHome, ZonePublisher) {
        let home = RegistryHome(path: options.data)
        let settings = try home.settings()
        let store = try await home.openStore(databaseURL: options.database ?? settings.database)
        let publisher = try home.zonePublisher(
            store: store, pki: try home.loadPKI(zone: settings.zone), zone: settings.zone,
            keys: try home.zoneKeys(create: false), sink: nil, persistSerial: false,
            logger: Logger(label: "iotreg.zone"))
        return (home, publisher)
    }

    struct TrustAnchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust-anchor",
            abstract: "Print the zone's trust anchor: the KSK's DS record (SHA-256), RFC 1035 text, for the parent "
                + "zone or a validator (delv -a, unbound trust-anchor).")

        @OptionGroup var options: DataOptions

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let settings = try home.settings()
            let keys = try home.zoneKeys(create: false)
            let apex = try home.zoneConfiguration(zone: settings.zone).apex
            let ds = ResourceRecord(name: apex, ttl: 3600, rdata: .ds(keys.keySigningKey.ds(owner: apex)))
            print(ZoneFileWriter.write([ds]), terminator: "")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the whole signed zone, derived from the database now, as an RFC 1035 master file.")

        @OptionGroup var options: DataOptions

        func run() async throws {
            let (home, publisher) = try await ZoneCommand.offlinePublisher(options)
            let serial = try home.zoneSerialFile.read() ?? UInt32(clamping: Int64(Date().timeIntervalSince1970))
            let zone = try await publisher.signedZone(serial: serial)
            print(zone.masterFile(), terminator: "")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Derive the zone from the database and check that it signs and that every device record is "
                + "consistent with its certificate; exits 0 when it does.")

        @OptionGroup var options: DataOptions

        func run() async throws {
            let (_, publisher) = try await ZoneCommand.offlinePublisher(options)
            let zone = try await publisher.rebuild()
            let report = try await publisher.checkConsistency()
            print("\(zone.nameCount) names signed; \(report)")
            if !report.isConsistent { throw ExitCode.failure }
        }
    }
}
