import RegistryZone
import DNSSEC
import DNSServer
import ArgumentParser
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

    @Option(help: "EST over TLS listen address (simplereenroll with the device's certificate), or off.")
    var est: ListenAddress = ListenAddress(argument: "off")!

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
        if !home.hasCA {
            try home.createCA(zone: settings.zone, publicURL: "http://\(http.isOff ? "127.0.0.1:8080" : http.description)")
            logger.info("created the registry CA in \(home.caDirectory.path)")
        }
        let pki = try home.loadPKI(zone: settings.zone)
        let registry = Registry(store: store, configuration: configuration, pki: pki)
        let zonePublisher = try home.zonePublisher(
            store: store, pki: pki, zone: settings.zone, keys: try home.zoneKeys(create: true), sink: nil,
            logger: logger)
        let zone = try await zonePublisher.rebuild()
        logger.info("zone \(zone.apex) signed: \(zone.nameCount) names, serial \(zone.serial)")
        let scheduler = JobScheduler(registry: registry, logger: logger)
        try await scheduler.resumeUnfinished()

        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))

        let dnsServer = try await Self.startDNS(
            dns: dns, dot: dot, zone: zone, publisher: zonePublisher, home: home, logger: logger)
        guard !http.isOff else { throw CLIError("nothing to serve: --http off") }
        let router = buildRouter(
            registry: registry, scheduler: scheduler,
            options: RegistryAPIOptions(
                metrics: { prometheus.emitToString() },
                health: { (try? await store.auditHead()) != nil }))
        let payloadBuilder = PayloadBuilder(
            registry: registry, signer: try home.payloadSigner(pki: pki),
            settings: try home.payloadSettings(
                zone: settings.zone, dotHost: dot.isOff ? "127.0.0.1" : dot.host, dotPort: dot.isOff ? 853 : dot.port,
                wifi: nil),
            logger: logger)
        var services: [any Service] = [
            TransferSweeper(registry: registry, logger: logger), ZoneFollower(publisher: zonePublisher, logger: logger),
            PayloadFollower(builder: payloadBuilder, logger: logger),
        ]
        if !est.isOff {
            let isIP = est.host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
            let tls = try ESTTLSListener.configuration(
                registry: registry, dnsNames: isIP ? ["localhost"] : [est.host, "localhost"],
                ipAddresses: isIP ? [est.host] : ["127.0.0.1"])
            let estRouter = buildRouter(registry: registry, scheduler: scheduler)
            services.append(
                Application(
                    router: estRouter, server: try .tls(.http1(), configuration: tls),
                    configuration: .init(address: .hostname(est.host, port: est.port), serverName: "iotreg-est"),
                    onServerRunning: { channel in
                        let port = channel.localAddress?.port ?? 0
                        print("iotreg serving EST over TLS on https://\(est.host):\(port)/.well-known/est/")
                        flushStandardOutput()
                    }, logger: logger))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: "iotreg"),
            services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                print("iotreg serving REST on http://\(http.host):\(port) (data \(home.directory.path))")
                flushStandardOutput()
            },
            logger: logger)
        let eppServer = try await Self.startEPP(on: epp, registry: registry, home: home, logger: logger)
        try await app.runService()
        try await eppServer?.stop()
        await dnsServer?.stop()
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

/// Builds the payload for every newly issued certificate, ten times a second, and queues its delivery.
struct PayloadFollower: Service {
    let builder: PayloadBuilder
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(100))
                do {
                    try await builder.catchUp()
                } catch {
                    logger.error("payload builder: \(error); retrying")
                }
            }
        }
    }
}
