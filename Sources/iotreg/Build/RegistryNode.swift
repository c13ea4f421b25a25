import DNSSEC
import DNSServer
import DNSWire
import EPPServer
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import Metrics
import PKI
import Prometheus
import RegistryAPI
import RegistryCore
import RegistryProvisioning
import RegistryStorePostgres
import RegistryZone
import ServiceLifecycle
import Synchronization

/// One running registry: store, CA, zone publisher and DNS server, payload builder, REST (and EST, EPP) listeners.
///
/// `iotreg serve` runs one until a signal; `iotreg demo` runs one in process beside its sample ASPs and MNO.
final class RegistryNode: Sendable {
    struct Options {
        var http: ListenAddress
        var dns: ListenAddress
        var dot: ListenAddress
        var epp: ListenAddress
        var est: ListenAddress
        /// The EST base URL payloads carry; nil derives it from ``est`` once bound.
        var estURL: String? = nil
        var transferWindow: Int = 0
        /// Secondaries to NOTIFY of each new serial.
        var notify: [ListenAddress] = []
        /// Addresses that may transfer the zone without TSIG.
        var allowTransfer: [String] = []
        /// TLSA and negative TTL: how soon a revocation is visible everywhere (seconds).
        var revocationBound: UInt32 = 300
        /// The DoT address payloads name when `dot` is off (the operator's own resolver).
        var payloadResolver: (host: String, port: Int) = ("127.0.0.1", 853)
        var wifi: (ssid: String, passphrase: String)?
        var database: String?
        /// How long a bulk job may go without progress before this node takes it over (its node died).
        var jobTakeoverAfter: TimeInterval = 15
        /// Bulk job items per transaction.
        var jobBatchSize = 1000
        var bootstrapMetrics = true
        var announce = true
    }

    let home: RegistryHome
    let registry: Registry
    let pki: RegistryPKI
    let zonePublisher: ZonePublisher
    let payloadBuilder: PayloadBuilder
    /// Signer or standby for the zone (with PostgreSQL one node signs; any other takes over when it dies).
    let signerRole: ZoneSignerRole
    let eppServer: EPPServer?
    /// The REST application and every background service (transfer sweeper, zone follower, payload builder, EST).
    let services: [any Service]
    let dnsPorts: (udp: Int?, tls: Int?)

    private init(
        home: RegistryHome, registry: Registry, pki: RegistryPKI, zonePublisher: ZonePublisher,
        payloadBuilder: PayloadBuilder, signerRole: ZoneSignerRole, eppServer: EPPServer?, services: [any Service],
        dnsPorts: (udp: Int?, tls: Int?)
    ) {
        self.home = home
        self.registry = registry
        self.pki = pki
        self.zonePublisher = zonePublisher
        self.payloadBuilder = payloadBuilder
        self.signerRole = signerRole
        self.eppServer = eppServer
        self.services = services
        self.dnsPorts = dnsPorts
    }

    /// Opens (creating when empty) the registry in `home` and starts its DNS and EPP listeners; the REST
    /// application is in ``services``, to be run by the caller. `onHTTP` is called with the bound REST port.
    static func start(
        home: RegistryHome, options: Options, logger: Logger, onHTTP: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> RegistryNode {
        if !home.isInitialised {
            guard home.isEmptyOrMissing else {
                throw CLIError("\(home.directory.path) exists but is not a registry folder; choose another --data")
            }
            let token = try await home.initialise(zone: "iotregistry.test.", database: options.database)
            if options.announce {
                print("Registry created in \(home.directory.path); operator token (also in \(home.tokenURL.path)):")
                print(token.secret)
            }
        }
        let settings = try home.settings()
        let store = try await home.openStore(databaseURL: options.database ?? settings.database)
        let configuration = RegistryConfiguration(
            transferPolicy: options.transferWindow > 0 ? .window(seconds: options.transferWindow) : .immediate,
            jobBatchSize: options.jobBatchSize)
        let http = options.http
        if !home.hasCA {
            try home.createCA(
                zone: settings.zone, publicURL: "http://\(http.isOff ? "127.0.0.1:8080" : http.description)")
            logger.info("created the registry CA in \(home.caDirectory.path)")
        }
        let pki = try home.loadPKI(zone: settings.zone)
        let registry = Registry(store: store, configuration: configuration, pki: pki)
        let zonePublisher = try home.zonePublisher(
            store: store, pki: pki, zone: settings.zone, keys: try home.zoneKeys(create: true), sink: nil,
            revocationBound: options.revocationBound, logger: logger)
        let postgres = store as? PostgresRegistryStore
        let scheduler = JobScheduler(registry: registry, logger: logger)
        // Alone over SQLite, every unfinished job was left by this node's last run; over PostgreSQL another node
        // may be running it, so only jobs that stopped making progress are adopted (the "stalled jobs" step).
        if postgres == nil { try await scheduler.resumeUnfinished() }

        let prometheus = PrometheusCollectorRegistry()
        if options.bootstrapMetrics { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus)) }

        let lease: any SignerLease =
            postgres.map { PostgresAdvisoryLock(url: $0.url, name: "dns-signer") } ?? SoleSignerLease()
        let signerRole = ZoneSignerRole(lease: lease, publisher: zonePublisher, logger: logger) { zone in
            try await Serve.startDNS(
                dns: options.dns, dot: options.dot, zone: zone, publisher: zonePublisher, home: home,
                notify: options.notify, allowTransfer: options.allowTransfer, announce: options.announce,
                logger: logger)
        }
        if try await !signerRole.tryToSign() {
            logger.info("another node signs and serves the zone; this one stands by to take over")
        }
        let dnsPorts = await signerRole.ports
        let ledger = RegistryHome.ledger(for: store)
        guard !http.isOff else { throw CLIError("nothing to serve: --http off") }
        let resolver =
            options.dot.isOff ? options.payloadResolver : (options.dot.host, dnsPorts.tls ?? options.dot.port)
        // Behind secondaries (a hidden primary), a payload waits until they serve the device's identity.
        let secondaries = try Serve.socketAddresses(notify: options.notify)
        let watch =
            secondaries.isEmpty
            ? nil
            : SecondaryWatch(
                zone: try DNSName(settings.zone), secondaries: secondaries,
                published: {
                    if let ledger { return await ledger.published() }
                    let position = await zonePublisher.position
                    return await zonePublisher.zone.map { ($0.serial, position) }
                }, logger: logger)
        let payloadBuilder = PayloadBuilder(
            registry: registry, signer: try home.payloadSigner(pki: pki),
            settings: try home.payloadSettings(
                zone: settings.zone, dotHost: resolver.0, dotPort: resolver.1,
                wifi: options.wifi.map { ($0.ssid, $0.passphrase) }),
            logger: logger,
            publishedThrough: {
                if let watch { return await watch.confirmedThrough() }
                if let ledger { return await ledger.publishedThrough() }
                return await zonePublisher.position
            })
        let webhooks = WebhookSigner(key: try home.operatorSecret(create: false).derivedKey(purpose: "webhooks"))
        let notifier = WebhookNotifier(
            registry: registry, signer: webhooks, transport: HTTPWebhookTransport(), logger: logger)
        let router = buildRouter(
            registry: registry, scheduler: scheduler,
            options: RegistryAPIOptions(
                metrics: { prometheus.emitToString() },
                health: { (try? await store.auditHead()) != nil },
                webhookSecret: { webhooks.secretText(tenantID: $0, url: $1) }))
        let est = options.est
        // Payloads name the EST listener; with a system-chosen port it is known only once bound, so payloads wait.
        let estBound = Mutex(est.isOff)
        var background: [any Service] = [
            ZoneFollower(role: signerRole, logger: logger),
            PeriodicStep("transfer window", every: .seconds(1), logger: logger) {
                let approved = try await registry.approveDueTransfers()
                if approved > 0 { logger.info("approved \(approved) transfers whose window closed") }
            },
            PeriodicStep("stalled jobs", every: .seconds(2), logger: logger) {
                try await scheduler.adoptStalled(after: options.jobTakeoverAfter)
            },
            PeriodicStep("payload builder", every: .milliseconds(100), logger: logger) {
                guard estBound.withLock({ $0 }) else { return }
                _ = try await payloadBuilder.catchUp()
            },
            PeriodicStep("webhooks", every: .milliseconds(100), logger: logger) { try await notifier.catchUp() },
        ]
        if let watch {
            background.append(
                PeriodicStep("secondaries", every: .milliseconds(100), logger: logger) { await watch.step() })
        }
        if !est.isOff {
            let isIP = est.host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
            var dnsNames = isIP ? ["localhost"] : [est.host, "localhost"]
            if let publicHost = options.estURL.flatMap({ URL(string: $0)?.host }), !dnsNames.contains(publicHost) {
                dnsNames.append(publicHost)
            }
            let tls = try ESTTLSListener.configuration(
                registry: registry, dnsNames: dnsNames, ipAddresses: isIP ? [est.host] : ["127.0.0.1"])
            let publicURL = options.estURL
            let estRouter = buildRouter(registry: registry, scheduler: scheduler)
            let announce = options.announce
            background.append(
                Application(
                    router: estRouter, server: try .tls(.http1(), configuration: tls),
                    configuration: .init(address: .hostname(est.host, port: est.port), serverName: "iotreg-est"),
                    onServerRunning: { channel in
                        let port = channel.localAddress?.port ?? 0
                        let host = est.host.contains(":") ? "[\(est.host)]" : est.host
                        payloadBuilder.announceEST(url: publicURL ?? "https://\(host):\(port)/.well-known/est")
                        estBound.withLock { $0 = true }
                        if announce {
                            print("iotreg serving EST over TLS on https://\(est.host):\(port)/.well-known/est/")
                            flushStandardOutput()
                        }
                    }, logger: logger))
        }
        let announce = options.announce
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: "iotreg"),
            services: background,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                if announce {
                    print("iotreg serving REST on http://\(http.host):\(port) (data \(home.directory.path))")
                    flushStandardOutput()
                }
                onHTTP(port)
            },
            logger: logger)
        let eppServer = try await Serve.startEPP(on: options.epp, registry: registry, home: home, logger: logger)
        return RegistryNode(
            home: home, registry: registry, pki: pki, zonePublisher: zonePublisher, payloadBuilder: payloadBuilder,
            signerRole: signerRole, eppServer: eppServer, services: [app], dnsPorts: dnsPorts)
    }

    /// Stops the listeners this node started itself (the services stop with their service group) and hands the
    /// zone signer's lease on at once.
    func stopListeners() async {
        try? await eppServer?.stop()
        await signerRole.stepDown(release: true)
    }
}
