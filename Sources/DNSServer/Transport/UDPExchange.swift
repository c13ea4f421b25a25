import NIOCore
import NIOPosix

/// One DNS message sent over UDP from an ephemeral port, and the first answer that carries its ID (QR set), within
/// `timeout`. What NOTIFY (RFC 1996 §3.6) and the serial probe of secondaries both need; retries are the caller's.
struct UDPExchange: Sendable {
    let group: any EventLoopGroup
    let timeout: TimeAmount

    /// The answer's bytes, or nil when nothing matching came back in time (or the send failed).
    func ask(_ query: [UInt8], id: UInt16, at target: SocketAddress) async -> [UInt8]? {
        let local = target.protocol == .inet6 ? "::" : "0.0.0.0"
        do {
            let promise = group.next().makePromise(of: [UInt8].self)
            let channel = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AnswerHandler(id: id, promise: promise))
                    }
                }
                .bind(host: local, port: 0).get()
            let timer = channel.eventLoop.scheduleTask(in: timeout) {
                promise.fail(DNSServerError(.notRunning, "no answer from \(target)"))
            }
            defer {
                timer.cancel()
                channel.close(promise: nil)
            }
            try await channel.writeAndFlush(
                AddressedEnvelope(remoteAddress: target, data: channel.allocator.buffer(bytes: query)))
            return try? await promise.futureResult.get()
        } catch {
            return nil
        }
    }
}

/// Completes the exchange with the first datagram whose ID matches and whose QR bit says it is an answer.
final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let id: UInt16
    let promise: EventLoopPromise<[UInt8]>

    init(id: UInt16, promise: EventLoopPromise<[UInt8]>) {
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).data
        guard let got = bytes.getInteger(at: bytes.readerIndex, as: UInt16.self), got == id,
            let flags = bytes.getInteger(at: bytes.readerIndex + 2, as: UInt8.self), flags & 0x80 != 0
        else { return }
        promise.succeed(bytes.getBytes(at: bytes.readerIndex, length: bytes.readableBytes) ?? [])
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
