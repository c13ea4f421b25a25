import Crypto
public import DNSWire
import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
import NIOSSL
import NIOTLS

/// A DNS-over-TLS stub client (RFC 7858) that authenticates its resolver by SPKI pin only.
///
/// Why a pin: the device's payload carries the resolver's address and the SHA-256 of its SubjectPublicKeyInfo
/// (RFC 7858 §4.2, the out-of-band key-pinned profile); there is no WebPKI on a meter. The TLS handshake is
/// refused when the resolver's leaf key is not one of ``Configuration/spkiSHA256Pins`` (error `pinMismatch`).
///
/// Wire: each message is preceded by its 2-byte length (RFC 7858 §3.3, RFC 1035 §4.2.2); queries set RD, CD
/// (we validate ourselves, RFC 4035 §3.2.2) and EDNS0 DO with a 4096-byte size. One TLS connection is kept and
/// reused for every query (pipelined, matched by message ID); it is reopened after an idle close or an error.
/// A query that gets no answer within ``Configuration/queryTimeout`` fails with `timeout` and drops the connection.
///
/// ```swift
/// let dot = DNSOverTLSClient(.init(host: "127.0.0.1", port: 853, spkiSHA256Pins: [pin]))
/// let response = try await dot.query(try DNSName("example.test."), .tlsa)
/// ```
public final class DNSOverTLSClient: DNSTransport, Sendable {
    /// Where the resolver is and how it is recognised.
    public struct Configuration: Sendable {
        /// The resolver's IP address (or host name resolvable by the system).
        public var host: String
        /// Its DNS-over-TLS port (853 by RFC 7858).
        public var port: Int
        /// SHA-256 digests of acceptable SubjectPublicKeyInfo DER (the pin set; one current, maybe one backup).
        public var spkiSHA256Pins: [[UInt8]]
        /// The SNI to send, if any (RFC 8310 authentication domain name); not checked against the certificate.
        public var serverName: String?
        /// Limit for TCP connect plus TLS handshake.
        public var connectTimeout: TimeAmount
        /// Limit for one query's answer.
        public var queryTimeout: TimeAmount

        public init(
            host: String, port: Int = 853, spkiSHA256Pins: [[UInt8]], serverName: String? = nil,
            connectTimeout: TimeAmount = .seconds(5), queryTimeout: TimeAmount = .seconds(5)
        ) {
            self.host = host
            self.port = port
            self.spkiSHA256Pins = spkiSHA256Pins
            self.serverName = serverName
            self.connectTimeout = connectTimeout
            self.queryTimeout = queryTimeout
        }
    }

    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let connection = NIOLockedValueBox<EventLoopFuture<any Channel>?>(nil)
    private let opened = NIOLockedValueBox(0)

    /// How many connections were opened so far (one while the resolver keeps it open).
    public var connectionsOpened: Int { opened.withLockedValue { $0 } }

    public init(
        _ configuration: Configuration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
    }

    /// Sends one query and returns the response (any RCODE); throws `pinMismatch`, `connectionFailed`, `timeout`
    /// or `malformedResponse` (a response that does not parse or does not answer the question).
    ///
    /// A server may close a connection with queries outstanding (its idle timeout, or a reload: NSD replaces its
    /// server processes after each zone transfer). As RFC 7766 §6.2.1 asks of clients, such a query is sent once
    /// more on a new connection.
    public func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        let question = Question(name: name, type: type)
        let query = Message(
            header: Header(id: 0, rd: true, cd: true), questions: [question],
            edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        do {
            return try await send(query, question)
        } catch is ClosedWithQueryOutstanding {
            do { return try await send(query, question) } catch let again as ClosedWithQueryOutstanding {
                throw again.error
            }
        }
    }

    /// The connection ended before the answer came: worth one more try on a new connection.
    private struct ClosedWithQueryOutstanding: Error {
        let error: DANEError
    }

    private func send(_ query: Message, _ question: Question) async throws -> Message {
        let (name, type) = (question.name, question.type)
        let channel = try await connectedChannel()
        let promise = channel.eventLoop.makePromise(of: Message.self)
        let timeout = channel.eventLoop.scheduleTask(in: configuration.queryTimeout) {
            promise.fail(DANEError(.timeout, "no answer from \(self.endpoint) for \(name) \(type)"))
            channel.close(promise: nil)
        }
        channel.writeAndFlush(DoTQuery(wire: query.encode(), question: question, promise: promise), promise: nil)
        defer { timeout.cancel() }
        do {
            return try await promise.futureResult.get()
        } catch let error as DANEError where error.code == .connectionFailed {
            throw ClosedWithQueryOutstanding(error: error)
        }
    }

    /// Closes the connection; a later query opens a new one.
    public func close() async {
        let future = connection.withLockedValue { c in
            defer { c = nil }
            return c
        }
        if let channel = try? await future?.get() { try? await channel.close() }
    }

    private var endpoint: String { "\(configuration.host):\(configuration.port)" }

    private func connectedChannel() async throws -> any Channel {
        let future = connection.withLockedValue { c in
            if let existing = c { return existing }
            let made = connect()
            c = made
            return made
        }
        do {
            let channel = try await future.get()
            if channel.isActive { return channel }
        } catch {
            connection.withLockedValue { if $0 === future { $0 = nil } }
            throw error
        }
        // Closed by the resolver (idle timeout) or after an error: reconnect once.
        let fresh = connection.withLockedValue { c in
            if let existing = c, existing !== future { return existing }
            let made = connect()
            c = made
            return made
        }
        do { return try await fresh.get() } catch {
            connection.withLockedValue { if $0 === fresh { $0 = nil } }
            throw error
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        opened.withLockedValue { $0 += 1 }
        let loop = group.next()
        let tlsContext: NIOSSLContext
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates([])
            tlsContext = try NIOSSLContext(configuration: tls)
        } catch {
            return loop.makeFailedFuture(DANEError(.connectionFailed, "TLS context: \(error)"))
        }
        let pins = configuration.spkiSHA256Pins
        let pinFailure = NIOLockedValueBox<String?>(nil)
        let handshake = loop.makePromise(of: Void.self)
        let serverName = configuration.serverName
        let endpoint = self.endpoint
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tlsHandler = try NIOSSLClientHandler(
                        context: tlsContext, serverHostname: serverName,
                        customVerificationCallback: { certificates, verdict in
                            guard let leaf = certificates.first,
                                let spki = try? leaf.extractPublicKey().toSPKIBytes()
                            else {
                                pinFailure.withLockedValue { $0 = "the resolver presented no usable certificate" }
                                verdict.succeed(.failed)
                                return
                            }
                            let digest = Array(SHA256.hash(data: spki))
                            if pins.contains(digest) {
                                verdict.succeed(.certificateVerified)
                            } else {
                                pinFailure.withLockedValue {
                                    $0 =
                                        "the resolver at \(endpoint) presented SPKI SHA-256 "
                                        + "\(digest.map { String(format: "%02x", $0) }.joined()), not a pinned key"
                                }
                                verdict.succeed(.failed)
                            }
                        })
                    try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    try channel.pipeline.syncOperations.addHandler(DoTHandler(handshake: handshake))
                }
            }
        let timeout = loop.scheduleTask(in: configuration.connectTimeout) {
            handshake.fail(DANEError(.timeout, "TLS handshake with \(endpoint) took too long"))
        }
        return bootstrap.connect(host: configuration.host, port: configuration.port)
            .flatMapError { error in
                handshake.fail(error)
                return loop.makeFailedFuture(DANEError(.connectionFailed, "cannot connect to \(endpoint): \(error)"))
            }
            .flatMap { channel in
                handshake.futureResult.map { channel }.flatMapError { error in
                    timeout.cancel()
                    channel.close(promise: nil)
                    if let pin = pinFailure.withLockedValue({ $0 }) {
                        return loop.makeFailedFuture(DANEError(.pinMismatch, pin))
                    }
                    if let e = error as? DANEError { return loop.makeFailedFuture(e) }
                    return loop.makeFailedFuture(
                        DANEError(.connectionFailed, "TLS handshake with \(endpoint) failed: \(error)"))
                }
            }
            .always { _ in timeout.cancel() }
    }
}

/// One outgoing query with the promise its response completes.
struct DoTQuery: Sendable {
    var wire: [UInt8]
    var question: Question
    var promise: EventLoopPromise<Message>
}

/// Frames messages with a 2-byte length, gives each query a free ID and matches responses back to it.
final class DoTHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = DoTQuery
    typealias OutboundOut = ByteBuffer

    private let handshake: EventLoopPromise<Void>
    private var pending: [UInt16: DoTQuery] = [:]
    private var buffer = ByteBuffer()

    init(handshake: EventLoopPromise<Void>) { self.handshake = handshake }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { handshake.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let query = unwrapOutboundIn(data)
        guard pending.count < 4096, query.wire.count >= 12, query.wire.count <= 65535 else {
            query.promise.fail(DANEError(.connectionFailed, "too many queries in flight or an oversized query"))
            return
        }
        var id = UInt16.random(in: 0...UInt16.max)
        while pending[id] != nil { id &+= 1 }
        pending[id] = query
        var out = context.channel.allocator.buffer(capacity: query.wire.count + 2)
        out.writeInteger(UInt16(query.wire.count))
        out.writeInteger(id)
        out.writeBytes(query.wire[2...])
        context.writeAndFlush(wrapOutboundOut(out), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        {
            buffer.moveReaderIndex(forwardBy: 2)
            guard let bytes = buffer.readBytes(length: Int(length)) else { return }
            deliver(bytes)
        }
        buffer.discardReadBytes()
    }

    private func deliver(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard let query = pending.removeValue(forKey: id) else { return }  // late answer to a timed-out query
        do {
            var message = try Message(wire: bytes)
            guard message.header.qr, message.questions.count == 1,
                message.questions[0].name == query.question.name, message.questions[0].type == query.question.type
            else {
                throw DANEError(.malformedResponse, "the response does not answer \(query.question.name)")
            }
            message.header.id = 0
            query.promise.succeed(message)
        } catch let e as DANEError {
            query.promise.fail(e)
        } catch {
            query.promise.fail(DANEError(.malformedResponse, "response does not parse: \(error)"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(DANEError(.connectionFailed, "resolver connection failed: \(error)"))
        handshake.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(DANEError(.connectionFailed, "the resolver closed the connection"))
        handshake.fail(DANEError(.connectionFailed, "the resolver closed the connection during the handshake"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: DANEError) {
        let all = pending
        pending = [:]
        for q in all.values { q.promise.fail(error) }
    }
}
