import DNSSEC
import DNSWire
import NIOCore
import NIOPosix

/// Sends one NOTIFY (RFC 1996 §3) over UDP and waits for the matching answer, retrying a few times.
struct Notifier: Sendable {
    let group: any EventLoopGroup
    let attempts: Int
    let timeout: TimeAmount

    func notify(_ target: SocketAddress, zone: SignedZone) async -> Bool {
        let id = UInt16.random(in: 0...UInt16.max)
        var m = Message(header: Header(id: id, opcode: .notify, aa: true))
        m.questions = [Question(name: zone.apex, type: .soa)]
        if let soa = zone.rrset(zone.apex, .soa) { m.answers = soa.rrset.records }
        let bytes = m.encode()
        let local = target.protocol == .inet6 ? "::" : "0.0.0.0"
        for _ in 0..<max(1, attempts) {
            do {
                let promise = group.next().makePromise(of: Void.self)
                let ch = try await DatagramBootstrap(group: group)
                    .channelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandler(NotifyAnswerHandler(id: id, promise: promise))
                        }
                    }
                    .bind(host: local, port: 0).get()
                let timer = ch.eventLoop.scheduleTask(in: timeout) {
                    promise.fail(DNSServerError(.notRunning, "no NOTIFY answer"))
                }
                try await ch.writeAndFlush(
                    AddressedEnvelope(remoteAddress: target, data: ch.allocator.buffer(bytes: bytes)))
                let ok = (try? await promise.futureResult.get()) != nil
                timer.cancel()
                try? await ch.close()
                if ok { return true }
            } catch {
                continue
            }
        }
        return false
    }
}

final class NotifyAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let id: UInt16
    let promise: EventLoopPromise<Void>

    init(id: UInt16, promise: EventLoopPromise<Void>) {
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let b = unwrapInboundIn(data).data
        guard let got = b.getInteger(at: b.readerIndex, as: UInt16.self), got == id,
            let flags = b.getInteger(at: b.readerIndex + 2, as: UInt8.self), flags & 0x80 != 0
        else { return }
        promise.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
