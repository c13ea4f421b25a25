public import DNSSEC
import DNSWire
import NIOConcurrencyHelpers
public import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// An authoritative DNS server for one signed zone: UDP, TCP (RFC 7766), DNS over TLS (RFC 7858), AXFR/IXFR
/// (RFC 5936, RFC 1995) with TSIG (RFC 8945) or an address list, NOTIFY (RFC 1996) and UDP rate limiting.
///
/// It knows nothing of the registry: the registry signs and calls ``publish(_:diff:)``.
public final class DNSServer: Sendable {
    /// How the server behaves; every field has a safe default.
    public struct Configuration: Sendable {
        /// The address to listen on.
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

    /// The zone being served.
    public let store: ZoneStore
    public let configuration: Configuration
    let group: any EventLoopGroup
    let processor: RequestProcessor
    private let channels = NIOLockedValueBox<[any Channel]>([])

    /// - Parameters:
    ///   - store: the zone to serve.
    ///   - configuration: listeners, transfer access, NOTIFY targets, rate limiting, TLS identity.
    ///   - group: the event loops to run on (the shared NIO singleton by default).
    public init(
        store: ZoneStore, configuration: Configuration = Configuration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.store = store
        self.configuration = configuration
        self.group = group
        processor = RequestProcessor(
            store: store, responder: QueryResponder(maxUDPPayload: configuration.maxUDPPayload),
            transfer: ZoneTransfer(), access: configuration.transferAccess)
    }

    /// Starts the listeners asked for; a port of 0 picks a free one.
    ///
    /// - Returns: the bound ports.
    /// - Throws: ``DNSServerError`` `bindFailed`, or `badConfiguration` for TLS without a usable certificate/key.
    @discardableResult
    public func start(udp: Int? = nil, tcp: Int? = nil, tls: Int? = nil) async throws -> BoundPorts {
        var ports = BoundPorts()
        do {
            if let udp {
                let limiter = configuration.rateLimit.map(ResponseRateLimiter.init)
                var port = udp
                for i in 0..<max(1, configuration.udpListeners) {
                    let processor = self.processor
                    let ch = try await DatagramBootstrap(group: group)
                        .channelOption(.socketOption(.so_reuseaddr), value: 1)
                        .channelOption(.socketOption(.so_reuseport), value: configuration.udpListeners > 1 ? 1 : 0)
                        .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65535))
                        .channelInitializer { ch in
                            ch.eventLoop.makeCompletedFuture {
                                try ch.pipeline.syncOperations.addHandler(
                                    DNSDatagramHandler(processor: processor, limiter: limiter))
                            }
                        }
                        .bind(host: configuration.host, port: port).get()
                    remember(ch)
                    if i == 0 { port = ch.localAddress?.port ?? port }
                }
                ports.udp = port
            }
            if let tcp {
                let ch = try await streamBootstrap(tls: nil).bind(host: configuration.host, port: tcp).get()
                remember(ch)
                ports.tcp = ch.localAddress?.port
            }
            if let tls {
                let context = try makeTLSContext()
                let ch = try await streamBootstrap(tls: context).bind(host: configuration.host, port: tls).get()
                remember(ch)
                ports.tls = ch.localAddress?.port
            }
        } catch let e as DNSServerError {
            try? await shutdown()
            throw e
        } catch {
            try? await shutdown()
            throw DNSServerError(.bindFailed, "could not listen on \(configuration.host): \(error); pick another port")
        }
        return ports
    }

    private func remember(_ ch: any Channel) { channels.withLockedValue { $0.append(ch) } }

    private func makeTLSContext() throws -> NIOSSLContext {
        guard let chainPEM = configuration.tlsCertificateChainPEM, let keyPEM = configuration.tlsPrivateKeyPEM else {
            throw DNSServerError(
                .badConfiguration, "DNS over TLS needs tlsCertificateChainPEM and tlsPrivateKeyPEM in the configuration")
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
            let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            var config = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            config.applicationProtocols = ["dot"]
            return try NIOSSLContext(configuration: config)
        } catch {
            throw DNSServerError(.badConfiguration, "the TLS certificate chain or private key is unusable (PEM expected)")
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
                    try ops.addHandler(IdleStateHandler(readTimeout: idle))
                    try ops.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .bits16)))
                    try ops.addHandler(LengthFieldPrepender(lengthFieldBitLength: .bits16))
                    try ops.addHandler(DNSStreamHandler(processor: processor))
                }
            }
    }

    /// Publishes a new version of the zone (``ZoneStore/publish(_:diff:)``) and NOTIFYs the secondaries.
    ///
    /// - Returns: how many secondaries acknowledged the NOTIFY (each is retried ``Configuration/notifyAttempts`` times).
    @discardableResult
    public func publish(_ zone: SignedZone, diff: ZoneDiff?) async throws -> Int {
        try store.publish(zone, diff: diff)
        return await notifySecondaries()
    }

    /// Sends NOTIFY for the current serial to every configured secondary and waits for their answers.
    public func notifySecondaries() async -> Int {
        let targets = configuration.notifyTargets
        let snapshot = store.snapshot
        return await withTaskGroup(of: Bool.self) { g in
            for t in targets {
                g.addTask {
                    await Notifier(group: self.group, attempts: self.configuration.notifyAttempts,
                        timeout: self.configuration.notifyTimeout).notify(t, zone: snapshot.zone)
                }
            }
            var n = 0
            for await ok in g where ok { n += 1 }
            return n
        }
    }

    /// Closes every listener.
    public func shutdown() async throws {
        let all = channels.withLockedValue { c in
            defer { c = [] }
            return c
        }
        for ch in all { try? await ch.close() }
    }
}
