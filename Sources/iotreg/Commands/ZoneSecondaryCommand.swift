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

        @Option(
            help: ArgumentHelp(
                "The registry's DNS address as the secondary reaches it (iotreg serve --dns); repeat it for every "
                    + "node over a shared PostgreSQL: whichever holds the signer's lease serves and NOTIFYs.",
                valueName: "ip:port"))
        var primary: [ListenAddress] = []

        @Option(help: "Where the secondary keeps its copy of the zone (a file for NSD, a folder for Knot).")
        var storage: String?

        @Option(
            help: ArgumentHelp(
                "Write the registry's DoT identity (dot.pem, dot.key 0600) into this folder for NSD to serve devices "
                    + "over TLS: payloads pin it. Start the nodes with --payload-resolver <secondary ip:853>.",
                valueName: "folder"))
        var dotIdentity: String?

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let zone = try home.settings().zone
            let secret = Data(try home.transferKeySecret()).base64EncodedString()
            if let dotIdentity {
                let files = try home.writeDoTIdentity(to: URL(fileURLWithPath: dotIdentity))
                switch software {
                case .nsd:
                    print(
                        """
                        # DNS over TLS for devices, with the identity payloads pin; in nsd.conf's server: section:
                        #   ip-address: <address>@853
                        #   tls-port: 853
                        #   tls-service-pem: "\(files.certificate.path)"
                        #   tls-service-key: "\(files.key.path)"
                        """)
                case .knot:
                    print("# Knot does not serve DNS over TLS: let devices resolve from an NSD secondary.")
                }
            }
            print(
                Self.text(
                    software: software, zone: zone.hasSuffix(".") ? zone : zone + ".",
                    primaries: primary.isEmpty ? [ListenAddress(argument: "127.0.0.1:5353")!] : primary,
                    keyName: RegistryHome.transferKeyName, secret: secret, storage: storage),
                terminator: "")
        }

        /// The configuration text; the NOTIFY source is the primary's address (NOTIFY is not TSIG-signed).
        static func text(
            software: Software, zone: String, primaries: [ListenAddress], keyName: String, secret: String,
            storage: String?
        ) -> String {
            let hosts = primaries.map(\.host).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
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
                    \(primaries.map { "  request-xfr: \($0.host)@\($0.port) \(keyName)\n" }.joined())\
                    \(hosts.map { "  allow-notify: \($0) NOKEY\n" }.joined())

                    """
            case .knot:
                return """
                    # Knot secondary of \(zone) (knot.conf). Keep this file 0600: it holds the TSIG secret.
                    key:
                      - id: \(keyName)
                        algorithm: hmac-sha256
                        secret: \(secret)
                    remote:
                    \(primaries.enumerated().map { "  - id: iotreg-primary-\($0.offset + 1)\n    address: \($0.element.host)@\($0.element.port)\n    key: \(keyName)\n" }.joined())\
                    acl:
                      - id: iotreg-notify
                        address: [\(hosts.joined(separator: ", "))]
                        action: notify
                    zone:
                      - domain: \(zone)
                        storage: "\(storage ?? "/var/lib/knot")"
                        master: [\(primaries.indices.map { "iotreg-primary-\($0 + 1)" }.joined(separator: ", "))]
                        acl: iotreg-notify

                    """
            }
        }
    }
}
