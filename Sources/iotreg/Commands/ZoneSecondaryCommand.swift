import ArgumentParser
import Foundation

extension ZoneCommand {
    /// Prints what an ordinary secondary needs to serve the zone from `iotreg serve` as its hidden primary.
    struct Secondary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the configuration of an NSD or Knot secondary of this registry's zone: the TSIG key, "
                + "transfers from the primary (IXFR, AXFR), NOTIFY accepted from it. Start `iotreg serve` with "
                + "`--notify <secondary ip:port>`.")

        enum Software: String, ExpressibleByArgument, CaseIterable {
            case nsd, knot
        }

        @OptionGroup var options: DataOptions

        @Option(help: "The secondary's software: nsd or knot.")
        var software: Software = .nsd

        @Option(help: "The registry's DNS address as the secondary reaches it (iotreg serve --dns).")
        var primary: ListenAddress = ListenAddress(argument: "127.0.0.1:5353")!

        @Option(help: "Where the secondary keeps its copy of the zone (a file for NSD, a folder for Knot).")
        var storage: String?

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let zone = try home.settings().zone
            let secret = Data(try home.transferKeySecret()).base64EncodedString()
            print(
                Self.text(
                    software: software, zone: zone.hasSuffix(".") ? zone : zone + ".", primary: primary,
                    keyName: RegistryHome.transferKeyName, secret: secret, storage: storage),
                terminator: "")
        }

        /// The configuration text; the NOTIFY source is the primary's address (NOTIFY is not TSIG-signed).
        static func text(
            software: Software, zone: String, primary: ListenAddress, keyName: String, secret: String,
            storage: String?
        ) -> String {
            switch software {
            case .nsd:
                return """
                    # NSD secondary of \(zone) (nsd.conf). Keep this file 0600: it holds the TSIG secret.
                    key:
                      name: "\(keyName)"
                      algorithm: hmac-sha256
                      secret: "\(secret)"
                    zone:
                      name: "\(zone)"
                      zonefile: "\(storage ?? zone + "zone")"
                      request-xfr: \(primary.host)@\(primary.port) \(keyName)
                      allow-notify: \(primary.host) NOKEY

                    """
            case .knot:
                return """
                    # Knot secondary of \(zone) (knot.conf). Keep this file 0600: it holds the TSIG secret.
                    key:
                      - id: \(keyName)
                        algorithm: hmac-sha256
                        secret: \(secret)
                    remote:
                      - id: iotreg-primary
                        address: \(primary.host)@\(primary.port)
                        key: \(keyName)
                    acl:
                      - id: iotreg-notify
                        address: \(primary.host)
                        action: notify
                    zone:
                      - domain: \(zone)
                        storage: "\(storage ?? "/var/lib/knot")"
                        master: iotreg-primary
                        acl: iotreg-notify

                    """
            }
        }
    }
}
