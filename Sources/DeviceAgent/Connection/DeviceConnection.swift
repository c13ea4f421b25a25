import NIOConcurrencyHelpers
public import NIOCore
import NIOSSL
import NIOTLS

/// An open, authenticated connection from a device to its ASP, speaking the sample line protocol.
///
/// One reply line per request line (see ASPKit's `SampleASPServer`): ``hello()``, ``telemetry(_:)``, ``send(_:)``.
public final class DeviceConnection: Sendable {
    private let channel: any Channel
    private let greeting = NIOLockedValueBox("")
    /// The ASP's `WELCOME <asp> <eid>` line, received when the connection was made.
    public internal(set) var welcome: String {
        get { greeting.withLockedValue { $0 } }
        set { greeting.withLockedValue { $0 = newValue } }
    }
    /// The device's EID (sent in `HELLO`).
    public let eid: String
    private let timeout: TimeAmount

    init(channel: any Channel, eid: String, timeout: TimeAmount) {
        self.channel = channel
        self.eid = eid
        self.timeout = timeout
    }

    /// Sends one line (without its newline) and returns the reply line.
    public func send(_ line: String) async throws -> String {
        guard !line.contains("\n") else { throw DeviceAgentError(.protocolError, "a request is one line") }
        let promise = channel.eventLoop.makePromise(of: String.self)
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(DeviceAgentError(.protocolError, "no reply to '\(line.prefix(20))' in time"))
        }
        defer { timer.cancel() }
        channel.writeAndFlush(LineRequest(line: line, reply: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// `HELLO <eid>`; returns the `WELCOME <asp> <eid>` line or throws `protocolError` with the server's answer.
    @discardableResult
    public func hello() async throws -> String {
        let reply = try await send("HELLO \(eid)")
        guard reply.hasPrefix("WELCOME ") else { throw DeviceAgentError(.protocolError, "HELLO refused: \(reply)") }
        return reply
    }

    /// `TELEMETRY <text>`; throws `protocolError` unless the server says `OK`.
    public func telemetry(_ text: String) async throws {
        let reply = try await send("TELEMETRY \(text)")
        guard reply == "OK" else { throw DeviceAgentError(.protocolError, "telemetry refused: \(reply)") }
    }

    /// Says `BYE` (best effort) and closes.
    public func close() async {
        if channel.isActive { _ = try? await send("BYE") }
        try? await channel.close()
    }
}

struct LineRequest: Sendable {
    var line: String
    var reply: EventLoopPromise<String>
}

/// Writes request lines, matches reply lines in order, and reports the end of the TLS handshake.
final class LineClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = LineRequest
    typealias OutboundOut = ByteBuffer

    private let handshake: EventLoopPromise<Void>
    private var waiting: [EventLoopPromise<String>] = []
    private var buffer = ByteBuffer()

    init(handshake: EventLoopPromise<Void>) { self.handshake = handshake }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { handshake.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.reply)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request.line + "\n")), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer.readString(length: newline - buffer.readerIndex) ?? ""
            buffer.moveReaderIndex(forwardBy: 1)
            if !waiting.isEmpty { waiting.removeFirst().succeed(line) }
        }
        if buffer.readableBytes > 65536 { context.close(promise: nil) }
        buffer.discardReadBytes()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handshake.fail(error)
        failAll(DeviceAgentError(.connectionFailed, "connection failed: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(DeviceAgentError(.connectionFailed, "the ASP closed the connection"))
        failAll(DeviceAgentError(.connectionFailed, "the ASP closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: DeviceAgentError) {
        let all = waiting
        waiting = []
        for p in all { p.fail(error) }
    }
}
