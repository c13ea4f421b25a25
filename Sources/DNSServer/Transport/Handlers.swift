import DNSWire
import Foundation
import NIOCore

/// Answers UDP queries, applying response rate limiting when configured.
final class DNSDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let processor: RequestProcessor
    let limiter: ResponseRateLimiter?
    private var pending = false

    init(processor: RequestProcessor, limiter: ResponseRateLimiter?) {
        self.processor = processor
        self.limiter = limiter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        guard var reply = processor.process(bytes, remote: envelope.remoteAddress, transport: .udp).first else {
            return
        }
        if let limiter {
            switch limiter.decide(prefix: ResponseRateLimiter.prefix(of: envelope.remoteAddress), now: Self.now()) {
            case .send: break
            case .drop: return
            case .slip: reply = Self.truncatedCopy(reply)
            }
        }
        let buffer = context.channel.allocator.buffer(bytes: reply)
        // Written now, sent at the end of the read batch: one sendmmsg(2) for the answers to one recvmmsg(2).
        context.write(
            wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
        pending = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pending {
            pending = false
            context.flush()
        }
    }

    /// The response's header and question only, with TC set: the client retries over TCP.
    static func truncatedCopy(_ reply: [UInt8]) -> [UInt8] {
        guard var m = try? Message(wire: reply) else { return Array(reply.prefix(12)) }
        m.header.tc = true
        m.answers = []
        m.authority = []
        m.additional = []
        return m.encode()
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket error (e.g. ICMP port unreachable) concerns one client, not the listener: keep serving.
    }
}

/// Answers queries on one TCP or TLS connection (RFC 7766): framing is done by the length-field handlers before
/// it; several queries may arrive on one connection; an idle connection is closed.
final class DNSStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let processor: RequestProcessor

    init(processor: RequestProcessor) { self.processor = processor }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let bytes = Array(frame.readableBytesView)
        let replies = processor.process(bytes, remote: context.channel.remoteAddress, transport: .stream)
        guard !replies.isEmpty else {
            context.close(promise: nil)
            return
        }
        for r in replies { context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: r)), promise: nil) }
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
