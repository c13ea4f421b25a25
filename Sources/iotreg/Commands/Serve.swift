import ArgumentParser
import EPPServer
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import RegistryAPI
import RegistryCore
import RegistryStoreSQLite
import ServiceLifecycle

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

    @Option(help: "Transfer policy: immediate (zero touch) or a window in seconds for the losing ASP to object.")
    var transferWindow: Int = 0

    func run() async throws {
        var logger = Logger(label: "iotreg")
        logger.logLevel = .info
        let home = RegistryHome(path: options.data)
        if !home.isInitialised {
            guard home.isEmptyOrMissing else {
                throw CLIError("\(home.directory.path) exists but is not a registry folder; choose another --data")
            }
            let token = try await home.initialise(zone: "iotregistry.test.", database: options.database)
            print("Registry created in \(home.directory.path); operator token (also in \(home.tokenURL.path)):")
            print(token.secret)
        }
        let settings = try home.settings()
        let store = try await home.openStore(databaseURL: options.database ?? settings.database)
        let configuration = RegistryConfiguration(
            transferPolicy: transferWindow > 0 ? .window(seconds: transferWindow) : .immediate)
        let registry = Registry(store: store, configuration: configuration)
        let scheduler = JobScheduler(registry: registry, logger: logger)
        try await scheduler.resumeUnfinished()

        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))

        for (name, address) in [("DNS", dns), ("DoT", dot)] where !address.isOff {
            logger.warning("\(name) listener on \(address) is not part of this build yet; only REST is served")
        }
        guard !http.isOff else { throw CLIError("nothing to serve: --http off") }
        let router = buildRouter(
            registry: registry, scheduler: scheduler,
            options: RegistryAPIOptions(
                metrics: { prometheus.emitToString() },
                health: { (try? await store.auditHead()) != nil }))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: "iotreg"),
            services: [TransferSweeper(registry: registry, logger: logger)],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                print("iotreg serving REST on http://\(http.host):\(port) (data \(home.directory.path))")
                flushStandardOutput()
            },
            logger: logger)
        let eppServer = try await Self.startEPP(on: epp, registry: registry, home: home, logger: logger)
        try await app.runService()
        try await eppServer?.stop()
    }
}

/// Approves pending transfers whose window has closed, every second until shutdown.
struct TransferSweeper: Service {
    let registry: Registry
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                do {
                    let approved = try await registry.approveDueTransfers()
                    if approved > 0 { logger.info("approved \(approved) transfers whose window closed") }
                } catch {
                    logger.error("transfer sweep failed: \(error)")
                }
            }
        }
    }
}
