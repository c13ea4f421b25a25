import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwiftASN1
import X509

/// The device's side of EST (RFC 7030) over mutual TLS: one request per connection, the client key in the eSIM.
///
/// Why not a general HTTP client: a meter talks to exactly one EST server, which it authenticates from the registry
/// root its payload carries (chain to that root, and the URL's host in the server certificate's SAN), never from a
/// WebPKI store; and it authenticates itself with the certificate it is renewing (RFC 7030 §3.3.2), whose key only
/// the IoT SAFE applet can use.
struct ESTClient: Sendable {
    /// What the server answered.
    struct Reply: Sendable {
        var status: Int
        var contentType: String
        var body: [UInt8]
    }

    /// The EST base URL, `https://host:port/.well-known/est` (RFC 7030 §3.2.2).
    let host: String
    let port: Int
    let basePath: String
    let registryRoot: Certificate
    let clientChain: [[UInt8]]
    let key: IoTSafePrivateKey
    let timeout: TimeAmount
    let group: any EventLoopGroup
    /// The largest answer read (a certs-only reply is a few kilobytes).
    static let maxReply = 256 * 1024

    init(
        baseURL: String, registryRoot: Certificate, clientChain: [[UInt8]], key: IoTSafePrivateKey,
        timeout: TimeAmount, group: any EventLoopGroup
    ) throws {
        guard let url = URL(string: baseURL), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty
        else {
            throw DeviceAgentError(.badConfiguration, "the EST URL '\(baseURL)' is not an https:// URL with a host")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = url.port ?? 443
        let path = url.path.isEmpty ? "/.well-known/est" : url.path
        self.basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
        self.registryRoot = registryRoot
        self.clientChain = clientChain
        self.key = key
        self.timeout = timeout
        self.group = group
    }

    /// POSTs `body` to `<base>/<operation>` and returns the answer, whatever its status.
    ///
    /// - Throws: ``DeviceAgentError`` `connectionFailed` (TCP, TLS, timeout) or `serverNotAuthenticated` (the
    ///   server's chain does not reach the registry root or does not name the host).
    func post(_ operation: String, body: [UInt8], contentType: String) async throws -> Reply {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates([])
        tls.certificateChain = try clientChain.map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) }
        tls.privateKey = .privateKey(NIOSSLPrivateKey(customPrivateKey: key))
        let context = try NIOSSLContext(configuration: tls)
        let isIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let (host, root) = (self.host, registryRoot)
        let refusal = NIOLockedValueBox<String?>(nil)
        let loop = group.next()
        let reply = loop.makePromise(of: Reply.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context, serverHostname: isIP ? nil : host,
                        customVerificationCallback: { certificates, verdict in
                            let chain = certificates.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
                            Task {
                                if let reason = await Self.check(chain, host: host, isIP: isIP, root: root) {
                                    refusal.withLockedValue { $0 = reason }
                                    verdict.succeed(.failed)
                                } else {
                                    verdict.succeed(.certificateVerified)
                                }
                            }
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ReplyCollector(reply: reply))
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.connect(host: host, port: port).get() } catch {
            reply.fail(error)
            throw DeviceAgentError(.connectionFailed, "cannot connect to the EST server \(host):\(port): \(error)")
        }
        let timer = loop.scheduleTask(in: timeout) {
            reply.fail(DeviceAgentError(.connectionFailed, "the EST server \(host) did not answer in time"))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "\(basePath)/\(operation)")
        head.headers.add(name: "Host", value: isIP && host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Transfer-Encoding", value: "base64")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do { return try await reply.futureResult.get() } catch {
            if let reason = refusal.withLockedValue({ $0 }) {
                throw DeviceAgentError(.serverNotAuthenticated, reason)
            }
            if let e = error as? DeviceAgentError { throw e }
            throw DeviceAgentError(.connectionFailed, "EST exchange with \(host):\(port) failed: \(error)")
        }
    }

    /// Nil when `chain` (leaf first) reaches the registry root and its leaf names `host`; else why not.
    static func check(_ chain: [Certificate], host: String, isIP: Bool, root: Certificate) async -> String? {
        guard let leaf = chain.first else { return "the EST server sent no certificate" }
        var verifier = Verifier(rootCertificates: CertificateStore([root])) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: isIP ? nil : host, serverIP: isIP ? host : nil)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst()))
        if case .validCertificate = result { return nil }
        return "the EST server's certificate does not chain to the registry root or does not name \(host)"
    }
}

/// Collects one HTTP response (head, bounded body, end) into a ``ESTClient/Reply``.
private final class ReplyCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let reply: EventLoopPromise<ESTClient.Reply>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(reply: EventLoopPromise<ESTClient.Reply>) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body(let buffer):
            guard body.count + buffer.readableBytes <= ESTClient.maxReply else {
                reply.fail(DeviceAgentError(.protocolError, "the EST answer exceeds \(ESTClient.maxReply) bytes"))
                context.close(promise: nil)
                return
            }
            body += buffer.readableBytesView
        case .end:
            guard let head else { return }
            reply.succeed(
                .init(
                    status: Int(head.status.code), contentType: head.headers.first(name: "Content-Type") ?? "",
                    body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reply.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        reply.fail(DeviceAgentError(.connectionFailed, "the EST server closed the connection before answering"))
        context.fireChannelInactive()
    }
}
