import ArgumentParser
import DNSSEC
import DNSServer
import EPPServer
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import Metrics
import Prometheus
import RegistryAPI
import RegistryCore
import RegistryProvisioning
import RegistryStoreSQLite
import RegistryZone
import ServiceLifecycle
import UnixSignals

/// A listen address `host:port`, or `off`.
struct ListenAddress: ExpressibleByArgument, CustomStringConvertible {
    var host: String
    var port: Int
    var isOff: Bool

    init?(argument: String) {
        if argument == "off" {
            host = ""
            port = 0
            isOff = true
            return
        }
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(argument[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
        self.isOff = false
    }

    var description: String { isOff ? "off" : "\(host):\(port)" }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the registry (REST; DNS, DoT and EPP listeners as they become available). Ctrl-C stops it.")

    @OptionGroup var options: DataOptions

    @Option(help: "REST API listen address, or off.")
    var http: ListenAddress = ListenAddress(argument: "127.0.0.1:8080")!

    @Option(help: "Authoritative DNS (UDP+TCP) listen address, or off.")
    var dns: ListenAddress = ListenAddress(argument: "127.0.0.1:5353")!

    @Option(help: "DNS-over-TLS listen address, or off.")
    var dot: ListenAddress = ListenAddress(argument: "off")!

    @Option(help: "EPP over TLS listen address, or off.")
    var epp: ListenAddress = ListenAddress(argument: "off")!

    @Option(help: "EST over TLS listen address (simplereenroll with the device's certificate), or off.")
    var est: ListenAddress = ListenAddress(argument: "off")!

    @Option(
        help: ArgumentHelp(
            "The EST base URL payloads give devices for renewal (default https://<est address>/.well-known/est).",
            valueName: "url"))
    var estURL: String?

    @Option(help: "Transfer policy: immediate (zero touch) or a window in seconds for the losing ASP to object.")
    var transferWindow: Int = 0

    @Option(
        help: ArgumentHelp(
            "A secondary (NSD, Knot) to NOTIFY of every new serial, IP:port; repeat for several. Print its "
                + "configuration with `iotreg zone secondary`.", valueName: "ip:port"))
    var notify: [ListenAddress] = []

    @Option(
        help: ArgumentHelp(
            "The DoT resolver payloads name when this node serves none (--dot off), IP:port: the secondaries' "
                + "DNS-over-TLS address, served with the identity `iotreg zone secondary --dot-identity` writes. "
                + "With --notify, payloads wait until those secondaries serve the device.", valueName: "ip:port"))
    var payloadResolver: ListenAddress?

    @Option(
        help: ArgumentHelp(
            "An address allowed to transfer the zone without TSIG; repeat for several (TSIG with the key "
                + "`iotreg zone secondary` prints is always accepted).", valueName: "ip"))
    var allowTransfer: [String] = []

    @Option(
        help: ArgumentHelp(
            "Seconds a bulk job may go without progress before this node takes it over (nodes sharing PostgreSQL).",
            valueName: "seconds"))
    var jobTakeoverAfter: Double = 15

    @Option(
        help: ArgumentHelp("Bulk job items per transaction (smaller: shorter locks, more commits).", valueName: "n"))
    var jobBatch: Int = 1000

    func run() async throws {
        var logger = Logger(label: "iotreg")
        logger.logLevel = .info
        let node = try await RegistryNode.start(
            home: RegistryHome(path: options.data),
            options: .init(
                http: http, dns: dns, dot: dot, epp: epp, est: est, estURL: estURL, transferWindow: transferWindow,
                notify: notify, allowTransfer: allowTransfer,
                payloadResolver: payloadResolver.map { ($0.host, $0.port) } ?? ("127.0.0.1", 853),
                database: options.database, jobTakeoverAfter: jobTakeoverAfter, jobBatchSize: max(1, jobBatch)),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: node.services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch is CancellationError {}
        await node.stopListeners()
    }
}

/// Runs one background step at a fixed interval until shutdown, logging a failed step and carrying on: outbox
/// consumers (payload builder, webhooks) ten times a second, the transfer-window sweep every second, the adoption
/// of stalled bulk jobs every two.
struct PeriodicStep: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let step: @Sendable () async throws -> Void

    init(_ name: String, every interval: Duration, logger: Logger, step: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.step = step
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await step()
                } catch {
                    logger.error("\(name): \(error); retrying")
                }
            }
        }
    }
}
