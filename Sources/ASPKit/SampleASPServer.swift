public import DANE
public import DNSWire
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
public import NIOSSL
import NIOTLS

/// A tiny ASP service on loopback that receives device telemetry over DANE-authenticated mutual TLS 1.3.
///
/// Why: the demo's ParkoServ and CarParkServ, and the peer tests' target (`openssl s_client`). It serves its own
/// certificate (whose `_<port>._tcp.<fqdn>` TLSA the registry zone publishes) and admits devices through
/// ``DANEClientAuthenticator``. With ``Configuration/daneChecks`` off it still requires a client certificate
/// but admits it without any DNS lookup: the benchmark's baseline for what DANE costs.
///
/// Line protocol (one reply line per request line, 4 KiB max per line):
/// `HELLO <eid>` → `WELCOME <name> <eid>` (the EID must be the certificate's); `TELEMETRY <text>` → `OK`;
/// `BYE` → `BYE` and close; anything else → `ERR <why>`.
///
/// ```swift
/// let config = SampleASPServer.Configuration(name: "ParkoServ", certificateChain: [leaf], privateKey: key)
/// let server = SampleASPServer(config, authenticator: auth)
/// let port = try await server.start()
/// …
/// await server.stop()
/// ```
public final class SampleASPServer: Sendable {
    public struct Configuration: Sendable {
        /// The service's display name, echoed in `WELCOME`.
        public var name: String
        /// The server certificate chain, DER, leaf first.
        public var certificateChain: [[UInt8]]
        /// The server key.
        public var privateKey: NIOSSLPrivateKey
        /// Listening address.
        public var host: String
        /// Listening port; 0 picks a free one.
        public var port: Int
        /// Whether devices are checked against DNS (off only for benchmarks).
        public var daneChecks: Bool
        /// Whether this service serves the device (its own customer list, or the registry's answer for its token):
        /// DANE proves who the device is, this decides whether it is ours. A device that moved to another ASP
        /// still proves its identity, and is turned away here with `REFUSED not-sponsored`.
        public var sponsors: (@Sendable (String) async -> Bool)?

        public init(
            name: String, certificateChain: [[UInt8]], privateKey: NIOSSLPrivateKey, host: String = "127.0.0.1",
            port: Int = 0, daneChecks: Bool = true, sponsors: (@Sendable (String) async -> Bool)? = nil
        ) {
            self.sponsors = sponsors
            self.name = name
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.host = host
            self.port = port
            self.daneChecks = daneChecks
        }
    }

    public let configuration: Configuration
    public let authenticator: DANEClientAuthenticator
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox<State>(State())

    fileprivate struct State {
        var channel: (any Channel)?
        var admitted: [String: Int] = [:]
        var telemetry: [String: Int] = [:]
    }

    public init(
        _ configuration: Configuration, authenticator: DANEClientAuthenticator,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.group = eventLoopGroup
    }

    /// Binds and starts serving; returns the bound port.
    public func start() async throws -> Int {
        let chain = try configuration.certificateChain.map { try NIOSSLCertificate(bytes: $0, format: .der) }
        let context = try NIOSSLContext(
            configuration: DANEClientAuthenticator.serverConfiguration(
                certificateChain: chain, privateKey: configuration.privateKey))
        let auth = authenticator
        let dane = configuration.daneChecks
        let name = configuration.name
        let zone = authenticator.zone
        let state = self.state
        let sponsors = configuration.sponsors
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls =
                        dane
                        ? auth.makeServerHandler(context: context)
                        : NIOSSLServerHandler(
                            context: context,
                            customVerificationCallbackWithMetadata: { certificates, verdict in
                                // Benchmark baseline: any client certificate, no DNS.
                                guard let leaf = certificates.first else { return verdict.succeed(.failed) }
                                verdict.succeed(
                                    .certificateVerified(VerificationMetadata(ValidatedCertificateChain([leaf]))))
                            })
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(
                        TelemetrySessionHandler(name: name, zone: zone, state: state, sponsors: sponsors))
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        state.withLockedValue { $0.channel = channel }
        return channel.localAddress?.port ?? 0
    }

    /// The bound port, once started.
    public var port: Int? { state.withLockedValue { $0.channel?.localAddress?.port } }

    /// Stops listening (open sessions are closed with the event loop's channels as they end).
    public func stop() async {
        let channel = state.withLockedValue { s in
            defer { s.channel = nil }
            return s.channel
        }
        try? await channel?.close()
    }

    /// Completed TLS handshakes per EID (admitted devices).
    public var admittedDevices: [String: Int] { state.withLockedValue { $0.admitted } }
    /// Telemetry lines received per EID.
    public var telemetryReceived: [String: Int] { state.withLockedValue { $0.telemetry } }

    fileprivate final class TelemetrySessionHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let name: String
        let zone: DNSName
        let state: NIOLockedValueBox<State>
        let sponsors: (@Sendable (String) async -> Bool)?
        var eid: String?
        var greeted = false
        var buffer = ByteBuffer()
        static let maxLine = 4096

        init(
            name: String, zone: DNSName, state: NIOLockedValueBox<State>,
            sponsors: (@Sendable (String) async -> Bool)? = nil
        ) {
            self.sponsors = sponsors
            self.name = name
            self.zone = zone
            self.state = state
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted = event as? TLSUserEvent {
                let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
                if let der = try? tls?.peerCertificate?.toDERBytes(),
                    let identity = try? DeviceIdentity(certificateDER: der, zone: zone)
                {
                    eid = identity.eid
                    state.withLockedValue { $0.admitted[identity.eid, default: 0] += 1 }
                }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - buffer.readerIndex
                let line = buffer.readString(length: length) ?? ""
                buffer.moveReaderIndex(forwardBy: 1)
                handle(line.hasSuffix("\r") ? String(line.dropLast()) : line, context: context)
            }
            if buffer.readableBytes > Self.maxLine {
                reply("ERR line too long", context: context)
                context.close(promise: nil)
            }
            buffer.discardReadBytes()
        }

        private func handle(_ line: String, context: ChannelHandlerContext) {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            switch parts.first ?? "" {
            case "HELLO":
                let claimed = parts.count > 1 ? parts[1] : ""
                guard let eid, claimed == eid else {
                    reply("ERR the EID is not the one in your certificate", context: context)
                    return
                }
                guard let sponsors else {
                    greeted = true
                    reply("WELCOME \(name) \(eid)", context: context)
                    return
                }
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let name = name
                let loop = context.eventLoop
                Task {
                    let ours = await sponsors(eid)
                    loop.execute {
                        let (handler, context) = bound.value
                        if ours {
                            handler.greeted = true
                            handler.reply("WELCOME \(name) \(eid)", context: context)
                        } else {
                            handler.reply("REFUSED not-sponsored \(eid)", context: context)
                            context.close(promise: nil)
                        }
                    }
                }
            case "TELEMETRY":
                guard greeted, let eid else {
                    reply("ERR say HELLO first", context: context)
                    return
                }
                state.withLockedValue { $0.telemetry[eid, default: 0] += 1 }
                reply("OK", context: context)
            case "BYE":
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "BYE\n"))).whenComplete { _ in
                    bound.value.close(promise: nil)
                }
            default:
                reply("ERR unknown command", context: context)
            }
        }

        private func reply(_ text: String, context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\n")), promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
