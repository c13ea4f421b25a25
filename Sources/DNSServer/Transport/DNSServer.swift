public import DNSSEC
import DNSWire
import NIOConcurrencyHelpers
public import NIOCore
import NIOExtras
public import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An authoritative DNS server for one signed zone: UDP, TCP (RFC 7766), DNS over TLS (RFC 7858), AXFR/IXFR
/// (RFC 5936, RFC 1995) with TSIG (RFC 8945) or an address list, NOTIFY (RFC 1996) and UDP rate limiting.
///
/// It knows nothing of the registry: the registry signs (``SignedZone/apply(_:now:)``) and publishes the new version
/// to the ``ZoneStore``; queries are answered from the store's current immutable snapshot and never wait for a change.
///
/// ```swift
/// let store = ZoneStore(signedZone)
/// let server = DNSServer(configuration: config, zoneStore: store)
/// try await server.start(udpTCP: .init(host: "0.0.0.0", port: 53), dot: .init(host: "0.0.0.0", port: 853))
/// try store.publish(zone, diff: try zone.apply(change))   // swapped at once, NOTIFY sent in the background
/// await server.stop()
/// ```
public final class DNSServer: Sendable {
    /// How the server behaves; every field has a safe default.
    public struct Configuration: Sendable {
        /// The address ``DNSServer/start(udp:tcp:tls:)`` listens on (``DNSServer/start(udpTCP:dot:)`` takes its own).
        public var host: String = "127.0.0.1"
        /// The largest UDP response sent (RFC 9715's 1232 by default).
        public var maxUDPPayload: Int = 1232
        /// How many UDP sockets share the port (SO_REUSEPORT), one per event loop thread.
        public var udpListeners: Int = 1
        /// A TCP or TLS connection with no query for this long is closed (RFC 7766 §6.2.3).
        public var idleTimeout: TimeAmount = .seconds(10)
        /// Who may transfer the zone.
        public var transferAccess = TransferAccess()
        /// Secondaries to NOTIFY after each publish.
        public var notifyTargets: [SocketAddress] = []
        /// How often a NOTIFY is sent to an unresponsive secondary, and how long to wait for each answer.
        public var notifyAttempts: Int = 3
        public var notifyTimeout: TimeAmount = .milliseconds(1000)
        /// UDP response rate limiting; nil (the default) turns it off.
        public var rateLimit: ResponseRateLimit?
        /// The certificate chain and key for DNS over TLS, both PEM; needed only when a TLS port is started.
        public var tlsCertificateChainPEM: String?
        public var tlsPrivateKeyPEM: String?

        public init() {}
    }

    /// The ports actually bound (an ephemeral port 0 resolved), nil for a transport not started.
    public struct BoundPorts: Hashable, Sendable {
        public var udp: Int?
        public var tcp: Int?
        public var tls: Int?
    }

    /// An address and port to listen on; port 0 picks a free one (read it back from ``boundPorts``).
    public struct Endpoint: Hashable, Sendable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// The zone being served.
    public let store: ZoneStore
    public let configuration: Configuration
    let group: any EventLoopGroup
    let processor: RequestProcessor
    private let channels = NIOLockedValueBox<[any Channel]>([])
    private let ports = NIOLockedValueBox(BoundPorts())
    private let observer = NIOLockedValueBox<Int?>(nil)

    /// - Parameters:
    ///   - configuration: transfer access, NOTIFY targets, rate limiting, TLS identity, limits.
    ///   - zoneStore: the zone to serve; publish new versions to it (or through ``publish(_:diff:)``).
    ///   - group: the event loops to run on (the shared NIO singleton by default).
    public init(
        configuration: Configuration = Configuration(), zoneStore: ZoneStore,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.store = zoneStore
        self.configuration = configuration
        self.group = group
        processor = RequestProcessor(
            store: zoneStore, responder: QueryResponder(maxUDPPayload: configuration.maxUDPPayload),
            transfer: ZoneTransfer(), access: configuration.transferAccess)
    }

    /// The ports bound so far (empty before ``start(udpTCP:dot:)``).
    public var boundPorts: BoundPorts { ports.withLockedValue { $0 } }

    /// Starts UDP and TCP on one endpoint (the same port for both, as secondaries and resolvers expect) and,
    /// when `dot` is given, DNS over TLS (RFC 7858) with ``Configuration/tlsCertificateChainPEM`` and
    /// ``Configuration/tlsPrivateKeyPEM``. From now on every publish to the store is NOTIFYed to the secondaries.
    ///
    /// - Returns: the bound ports (also in ``boundPorts``).
    /// - Throws: ``DNSServerError`` `bindFailed`, or `badConfiguration` for TLS without a usable certificate/key.
    @discardableResult
    public func start(udpTCP: Endpoint?, dot: Endpoint? = nil) async throws -> BoundPorts {
        do {
            if let udpTCP {
                var lastError: (any Error)?
                for _ in 0..<(udpTCP.port == 0 ? 20 : 1) {
                    let udp = try await startUDP(host: udpTCP.host, port: udpTCP.port)
                    do {
                        try await startStream(host: udpTCP.host, port: udp.port, tls: nil)
                        lastError = nil
                        break
                    } catch {
                        // The ephemeral UDP port is taken for TCP: give it back and try another.
                        lastError = error
                        for ch in udp.channels { try? await ch.close() }
                        forget(udp.channels)
                    }
                }
                if let lastError { throw lastError }
            }
            if let dot { try await startStream(host: dot.host, port: dot.port, tls: try makeTLSContext()) }
        } catch let e as DNSServerError {
            await stop()
            throw e
        } catch {
            await stop()
            throw DNSServerError(.bindFailed, "could not listen: \(error); pick another address or port")
        }
        observeStore()
        return boundPorts
    }

    /// Starts the listeners asked for on ``Configuration/host``, each on its own port (0 picks a free one).
    @discardableResult
    public func start(udp: Int? = nil, tcp: Int? = nil, tls: Int? = nil) async throws -> BoundPorts {
        let host = configuration.host
        do {
            if let udp { _ = try await startUDP(host: host, port: udp) }
            if let tcp { try await startStream(host: host, port: tcp, tls: nil) }
            if let tls { try await startStream(host: host, port: tls, tls: try makeTLSContext()) }
        } catch let e as DNSServerError {
            await stop()
            throw e
        } catch {
            await stop()
            throw DNSServerError(.bindFailed, "could not listen on \(host): \(error); pick another port")
        }
        observeStore()
        return boundPorts
    }

    private func observeStore() {
        guard !configuration.notifyTargets.isEmpty else { return }
        let token = store.observe { [weak self] _ in
            guard let self else { return }
            Task { await self.notifySecondaries() }
        }
        if let old = observer.withLockedValue({ o in
            defer { o = token }; return o
        }) {
            store.stopObserving(old)
        }
    }

    static let queriesPerRead = 32
    static let maxQuerySize = 4096

    private func startUDP(host: String, port: Int) async throws -> (port: Int, channels: [any Channel]) {
        let limiter = configuration.rateLimit.map(ResponseRateLimiter.init)
        let processor = self.processor
        let count = max(1, configuration.udpListeners)
        var bound = port
        var opened: [any Channel] = []
        for i in 0..<count {
            let ch = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: count > 1 ? 1 : 0)
                // recvmmsg(2): up to 32 queries per system call, each in a 4 KiB slot of one 128 KiB buffer (a
                // query longer than 4 KiB is cut and so answered FORMERR; real queries are a few hundred bytes).
                .channelOption(.datagramVectorReadMessageCount, value: Self.queriesPerRead)
                .channelOption(
                    .recvAllocator,
                    value: FixedSizeRecvByteBufferAllocator(capacity: Self.queriesPerRead * Self.maxQuerySize)
                )
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(
                            DNSDatagramHandler(processor: processor, limiter: limiter))
                    }
                }
                .bind(host: host, port: bound).get()
            remember(ch)
            opened.append(ch)
            if i == 0 { bound = ch.localAddress?.port ?? bound }
        }
        ports.withLockedValue { $0.udp = bound }
        return (bound, opened)
    }

    private func startStream(host: String, port: Int, tls: NIOSSLContext?) async throws {
        let ch = try await streamBootstrap(tls: tls).bind(host: host, port: port).get()
        remember(ch)
        let bound = ch.localAddress?.port
        ports.withLockedValue { if tls == nil { $0.tcp = bound } else { $0.tls = bound } }
    }

    private func forget(_ closed: [any Channel]) {
        channels.withLockedValue { c in c.removeAll { ch in closed.contains { $0 === ch } } }
    }

    private func remember(_ ch: any Channel) { channels.withLockedValue { $0.append(ch) } }

    private func makeTLSContext() throws -> NIOSSLContext {
        guard let chainPEM = configuration.tlsCertificateChainPEM, let keyPEM = configuration.tlsPrivateKeyPEM else {
            throw DNSServerError(
                .badConfiguration, "DNS over TLS needs tlsCertificateChainPEM and tlsPrivateKeyPEM in the configuration"
            )
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
            let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            var config = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            config.applicationProtocols = ["dot"]
            return try NIOSSLContext(configuration: config)
        } catch {
            throw DNSServerError(
                .badConfiguration, "the TLS certificate chain or private key is unusable (PEM expected)")
        }
    }

    private func streamBootstrap(tls: NIOSSLContext?) -> ServerBootstrap {
        let processor = self.processor
        let idle = configuration.idleTimeout
        return ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    let ops = ch.pipeline.syncOperations
                    if let tls { try ops.addHandler(NIOSSLServerHandler(context: tls)) }
                    try ops.addHandler(IdleStateHandler(allTimeout: idle))
                    try ops.addHandler(
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                    try ops.addHandler(LengthFieldPrepender(lengthFieldBitLength: .twoBytes))
                    try ops.addHandler(DNSStreamHandler(processor: processor))
                }
            }
    }

    /// Publishes a new version of the zone like ``ZoneStore/publish(_:diff:)``, but waits for the NOTIFYs.
    ///
    /// - Returns: how many secondaries acknowledged the NOTIFY (each is retried ``Configuration/notifyAttempts``
    ///   times); other servers on the same store are not NOTIFYed by this call.
    @discardableResult
    public func publish(_ zone: SignedZone, diff: ZoneDiff?) async throws -> Int {
        guard try store.swap(zone, diff: diff) != nil else { return 0 }
        return await notifySecondaries()
    }

    /// Sends NOTIFY for the current serial to every configured secondary and waits for their answers.
    public func notifySecondaries() async -> Int {
        let targets = configuration.notifyTargets
        let snapshot = store.snapshot
        return await withTaskGroup(of: Bool.self) { g in
            for t in targets {
                g.addTask {
                    await Notifier(
                        group: self.group, attempts: self.configuration.notifyAttempts,
                        timeout: self.configuration.notifyTimeout
                    ).notify(t, zone: snapshot.zone)
                }
            }
            var n = 0
            for await ok in g where ok { n += 1 }
            return n
        }
    }

    /// Closes every listener and stops NOTIFYing; queries in flight on open connections may still finish.
    public func stop() async {
        if let token = observer.withLockedValue({ o in
            defer { o = nil }; return o
        }) {
            store.stopObserving(token)
        }
        let all = channels.withLockedValue { c in
            defer { c = [] }
            return c
        }
        for ch in all { try? await ch.close() }
        ports.withLockedValue { $0 = BoundPorts() }
    }
}
