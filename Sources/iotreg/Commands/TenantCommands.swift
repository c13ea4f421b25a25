import ArgumentParser

struct ASPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asp", abstract: "Onboard and list ASPs (operator).", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Onboard an ASP; prints its id and token (once).")
        @OptionGroup var client: ClientOptions
        @Option var name: String
        @Option var fqdn: String
        @Option var port: Int
        @Option var url: String?
        @Option(name: .customLong("protocol")) var transport: String?

        func run() async throws {
            var body: [String: Any] = ["name": name, "fqdn": fqdn, "port": port]
            body["url"] = url
            body["protocol"] = transport
            printJSON(try await client.client().send("POST", "/v1/asps", json: body))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ASPs.")
        @OptionGroup var client: ClientOptions
        func run() async throws { printJSON(try await client.client().send("GET", "/v1/asps")) }
    }
}

struct OwnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owner", abstract: "Onboard device owners (operator).", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Onboard an owner; prints its id and token (once).")
        @OptionGroup var client: ClientOptions
        @Option var name: String
        func run() async throws {
            printJSON(try await client.client().send("POST", "/v1/owners", json: ["name": name]))
        }
    }
}

struct MNOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mno", abstract: "Onboard mobile network operators (operator); run a simulated one (MNO).",
        subcommands: [Create.self, Simulate.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Onboard an MNO; prints its id and token (once).")
        @OptionGroup var client: ClientOptions
        @Option var name: String
        func run() async throws { printJSON(try await client.client().send("POST", "/v1/mnos", json: ["name": name])) }
    }
}
