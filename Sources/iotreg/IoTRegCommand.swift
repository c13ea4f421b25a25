import ArgumentParser

/// `iotreg`: one tool for the whole registry. Commands only parse and validate; the work is in the modules.
@main
struct IoTRegCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iotreg",
        abstract: "The Secure IoT Registry: device identities, registered like domain names, verified through DNSSEC.",
        version: "0.1.0",
        groupedSubcommands: [
            CommandGroup(name: "Run a registry", subcommands: [Init.self, Serve.self, DemoCommand.self, AuditCommand.self, CACommand.self, ZoneCommand.self, OpenAPI.self]),
            CommandGroup(
                name: "Talk to a running registry (--url, --token or IOTREG_URL, IOTREG_TOKEN)",
                subcommands: [ASPCommand.self, OwnerCommand.self, MNOCommand.self, DeviceCommand.self, JobCommand.self]),
        ]
    )
}
