import Crypto
import EPP
import Logging
import NIOCore
import NIOSSL
import RegistryCore

/// One connection: greets, then feeds frames to its ``EPPSession`` strictly one at a time (RFC 5734 §3: a client
/// waits for each response; frames sent early are queued, not run concurrently), and closes on logout, 2501,
/// hostile input, a bad frame length, or when the idle timeout fires.
final class EPPChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: EPPService
    private let logger: Logger
    private let maxQueuedFrames: Int
    private var session: EPPSession?
    private var queue: [[UInt8]] = []
    private var busy = false
    private var closing = false

    init(service: EPPService, logger: Logger, maxQueuedFrames: Int = 16) {
        self.service = service
        self.logger = logger
        self.maxQueuedFrames = maxQueuedFrames
    }

    func channelActive(context: ChannelHandlerContext) {
        write(service.greeting(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var buffer = unwrapInboundIn(data)
        queue.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
        guard queue.count <= maxQueuedFrames else {
            logger.notice("EPP client sent too many frames without reading responses; closing")
            close(context: context)
            return
        }
        processNext(context: context)
    }

    private func processNext(context: ChannelHandlerContext) {
        guard !busy, !closing, !queue.isEmpty else { return }
        busy = true
        let frame = queue.removeFirst()
        let session = currentSession(context: context)
        let promise = context.eventLoop.makePromise(of: EPPSession.Reply.self)
        promise.completeWithTask { await session.handle(frame) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { reply in
            let (handler, context) = bound.value
            handler.busy = false
            if !reply.bytes.isEmpty { handler.write(reply.bytes, context: context) }
            if reply.closesSession {
                handler.close(context: context)
            } else {
                handler.processNext(context: context)
            }
        }
    }

    /// The session, made on the first frame: by then the TLS handshake is done and the client certificate known.
    private func currentSession(context: ChannelHandlerContext) -> EPPSession {
        if let session { return session }
        var fingerprint: String?
        if let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
            let der = try? certificate.toDERBytes()
        {
            fingerprint = SHA256.hash(data: der).hexString
        }
        let made = service.makeSession(clientCertificateSHA256: fingerprint)
        session = made
        return made
    }

    private func write(_ payload: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 4)
        buffer.writeEPPFrame(payload)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        queue.removeAll()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            logger.debug("EPP session idle; closing")
            close(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("EPP connection error; closing", metadata: ["error": "\(error)"])
        close(context: context)
    }
}
