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
        guard var reply = processor.replies(bytes, remote: envelope.remoteAddress, transport: .udp).messages.first
        else {
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
///
/// A zone transfer is written a message at a time while the connection is writable, and resumed when it becomes
/// writable again: the client's pace bounds what is buffered, not the zone's size. Queries that arrive during a
/// transfer are answered after it, in order.
final class DNSStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let processor: RequestProcessor
    private var transfer: EncodedTransfer?
    private var waiting: [[UInt8]] = []

    init(processor: RequestProcessor) { self.processor = processor }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        if transfer != nil {
            waiting.append(bytes)
            return
        }
        answer(bytes, context: context)
    }

    private func answer(_ bytes: [UInt8], context: ChannelHandlerContext) {
        let replies = processor.replies(bytes, remote: context.channel.remoteAddress, transport: .stream)
        guard !replies.messages.isEmpty || replies.transfer != nil else {
            context.close(promise: nil)
            return
        }
        for r in replies.messages {
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: r)), promise: nil)
        }
        context.flush()
        if let t = replies.transfer {
            transfer = t
            pump(context: context)
        }
    }

    /// Writes the transfer's messages while the channel takes them; then answers the queries that waited.
    private func pump(context: ChannelHandlerContext) {
        while context.channel.isActive, context.channel.isWritable, var t = transfer {
            transfer = nil  // so that `t` is the only holder of what it buffers, and changes it in place
            guard let message = t.next() else {
                context.flush()
                while transfer == nil, context.channel.isActive, !waiting.isEmpty {
                    answer(waiting.removeFirst(), context: context)
                }
                return
            }
            transfer = t
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: message)), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, transfer != nil { pump(context: context) }
        context.fireChannelWritabilityChanged()
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
