public import EPP
public import Logging
public import NIOCore
import NIOPosix
import NIOSSL
public import RegistryCore
import Synchronization

/// EPP over TLS (RFC 5734) in front of the registry core: the second door next to REST.
///
/// ```swift
/// let server = EPPServer(
///     configuration: .init(host: "127.0.0.1", port: 700, tls: try EPPTLSIdentity.selfSigned()),
///     registry: registry)
/// try await server.start()
/// print(server.localPort!)
/// …
/// try await server.stop()
/// ```
///
/// TLS 1.2 or 1.3 only, and a client certificate is required in the handshake; which certificate is acceptable is
/// decided at `<login>`, where its SHA-256 must match one the ASP registered (`POST /v1/asps/{id}/certificates`).
public final class EPPServer: Sendable {
    /// Where to listen and the protocol's bounds.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port (tests); read it back from ``EPPServer/localPort``.
        public var port: Int
        public var tls: EPPTLSIdentity
        /// Largest data unit accepted, header included (RFC 5734 §4 leaves the bound to the server).
        public var maxFrameSize: Int
        /// A session that sends nothing for this long is closed.
        public var idleTimeout: Duration
        /// `<svID>` and the svTRID prefix.
        public var serverID: String
        /// Bounds on each frame's XML.
        public var xmlLimits: XML.Limits
        /// Failed logins on one connection before 2501 and a close.
        public var maxLoginFailures: Int

        public init(
            host: String = "127.0.0.1", port: Int = 700, tls: EPPTLSIdentity, maxFrameSize: Int = 256 * 1024,
            idleTimeout: Duration = .seconds(600), serverID: String = "iotreg", xmlLimits: XML.Limits = XML.Limits(),
            maxLoginFailures: Int = 3
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.maxFrameSize = maxFrameSize
            self.idleTimeout = idleTimeout
            self.serverID = serverID
            self.xmlLimits = xmlLimits
            self.maxLoginFailures = maxLoginFailures
        }
    }

    public let configuration: Configuration
    /// The transport-free part shared by every session (exposed for tests and benchmarks).
    public let service: EPPService
    private let logger: Logger
    private let group: any EventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)

    /// - Parameters:
    ///   - configuration: address, TLS identity and bounds.
    ///   - registry: the core every command calls.
    ///   - eventLoopGroup: defaults to NIO's shared group.
    public init(
        configuration: Configuration, registry: Registry, eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "iotreg.epp")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.service = EPPService(
            registry: registry, serverID: configuration.serverID, limits: configuration.xmlLimits,
            maxLoginFailures: configuration.maxLoginFailures, logger: logger)
    }

    /// The port actually bound, once started.
    public var localPort: Int? {
        channel.withLock { $0?.localAddress?.port }
    }

    /// Binds and starts accepting connections.
    ///
    /// - Throws: when the TLS identity cannot be read or the address cannot be bound.
    public func start() async throws {
        let context = try NIOSSLContext(configuration: try tlsConfiguration())
        let service = self.service
        let logger = self.logger
        let maxFrameSize = configuration.maxFrameSize
        let idle = TimeAmount.nanoseconds(
            configuration.idleTimeout.components.seconds * 1_000_000_000
                + configuration.idleTimeout.components.attoseconds / 1_000_000_000)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = NIOSSLServerHandler(
                        context: context,
                        customVerificationCallback: { certificates, promise in
                            // Any certificate the client can prove it holds is let through the handshake; login
                            // decides whether it is one the ASP registered.
                            promise.succeed(certificates.isEmpty ? .failed : .certificateVerified)
                        })
                    try channel.pipeline.syncOperations.addHandlers([
                        tls,
                        IdleStateHandler(readTimeout: idle),
                        ByteToMessageHandler(EPPFrameDecoder(maxFrameSize: maxFrameSize)),
                        EPPChannelHandler(service: service, logger: logger),
                    ])
                }
            }
        let bound = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        channel.withLock { $0 = bound }
        logger.info("EPP listening", metadata: ["address": "\(bound.localAddress.map { "\($0)" } ?? "?")"])
    }

    /// Stops accepting connections (sessions already open finish on their own or by idle timeout).
    public func stop() async throws {
        let current = channel.withLock { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try await current?.close()
    }

    private func tlsConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(configuration.tls.certificateChainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(configuration.tls.privateKeyPEM.utf8), format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .noHostnameVerification
        return tls
    }
}
