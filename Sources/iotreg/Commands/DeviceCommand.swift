import ArgumentParser
import Foundation

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Register devices and move them through their lifecycle.",
        subcommands: [
            Register.self, Show.self, List.self, Lifecycle.self, TransferCode.self, Transfer.self, Import.self,
        ])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a device (ASP token).")
        @OptionGroup var client: ClientOptions
        @Option var eid: String
        @Option var iccid: String
        @Option var owner: String
        @Option var mno: String
        @Option var model: String?
        @Option var serial: String?

        func run() async throws {
            var body: [String: Any] = ["eid": eid, "iccid": iccid, "owner": owner, "mno": mno]
            body["model"] = model
            body["serial"] = serial
            printJSON(try await client.client().send("POST", "/v1/devices", json: body))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a device with its profiles.")
        @OptionGroup var client: ClientOptions
        @Argument var eid: String
        func run() async throws { printJSON(try await client.client().send("GET", "/v1/devices/\(eid)")) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the devices your token may see.")
        @OptionGroup var client: ClientOptions
        @Option var state: String?
        @Option var limit: Int = 100
        func run() async throws {
            var path = "/v1/devices?limit=\(limit)"
            if let state { path += "&state=\(state)" }
            printJSON(try await client.client().send("GET", path))
        }
    }

    struct Lifecycle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lifecycle", abstract: "activate | deactivate | rekey | delete a device.")
        enum Action: String, ExpressibleByArgument, CaseIterable { case activate, deactivate, rekey, delete }
        @OptionGroup var client: ClientOptions
        @Argument var action: Action
        @Argument var eid: String
        func run() async throws {
            let client = try client.client()
            if action == .delete {
                printJSON(try await client.send("DELETE", "/v1/devices/\(eid)"))
            } else {
                printJSON(try await client.send("POST", "/v1/devices/\(eid)/\(action.rawValue)"))
            }
        }
    }

    struct TransferCode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transfer-code", abstract: "Issue one transfer code for one or more devices (owner token).")
        @OptionGroup var client: ClientOptions
        @Argument var eids: [String]
        func run() async throws {
            printJSON(try await client.client().send("POST", "/v1/transfer-codes", json: ["eids": eids]))
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Request a transfer to you (gaining ASP token).")
        @OptionGroup var client: ClientOptions
        @Argument var eid: String
        @Option var authCode: String
        func run() async throws {
            printJSON(
                try await client.client().send("POST", "/v1/devices/\(eid)/transfer", json: ["authCode": authCode]))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a CSV (Device ID, Model, Version, ICCID, …) as one bulk job and follow its progress.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The CSV file.", completion: .file()) var file: String
        @Option var operation: String = "create"
        @Option var owner: String?
        @Option var mno: String?

        func run() async throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            var path = "/v1/jobs?operation=\(operation)"
            if let owner { path += "&owner=\(owner)" }
            if let mno { path += "&mno=\(mno)" }
            let client = try client.client()
            let job = try await client.send("POST", path, body: data, contentType: "text/csv") as? [String: Any]
            guard let id = job?["id"] as? String else { throw CLIError("the registry did not return a job id") }
            try await followJob(id, client: client)
        }
    }
}

/// Polls a job and draws a progress bar until it completes; fails if any item failed.
func followJob(_ id: String, client: RegistryClient) async throws {
    let start = Date()
    while true {
        let job = try await client.send("GET", "/v1/jobs/\(id)") as? [String: Any] ?? [:]
        let total = job["total"] as? Int ?? 0
        let processed = job["processed"] as? Int ?? 0
        let failed = job["failed"] as? Int ?? 0
        let fraction = total > 0 ? Double(processed) / Double(total) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let rate = Double(processed) / max(Date().timeIntervalSince(start), 0.001)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        print(
            "\r[\(bar)] \(Int(fraction * 100))% \(processed)/\(total) items, \(failed) failed, \(Int(rate))/s",
            terminator: "")
        flushStandardOutput()
        if job["status"] as? String == "completed" {
            print("\njob \(id) completed: \(job["succeeded"] ?? 0) succeeded, \(failed) failed")
            if failed > 0 {
                print("see GET /v1/jobs/\(id)/items for each failure")
                throw ExitCode.failure
            }
            return
        }
        try await Task.sleep(for: .milliseconds(250))
    }
}

struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Follow bulk jobs.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a job's progress.")
        @OptionGroup var client: ClientOptions
        @Argument var id: String
        func run() async throws { printJSON(try await client.client().send("GET", "/v1/jobs/\(id)")) }
    }
}
