import DNSSEC
import DNSWire
import NIOCore

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
        let exchange = UDPExchange(group: group, timeout: timeout)
        for _ in 0..<max(1, attempts) where await exchange.ask(m.encode(), id: id, at: target) != nil {
            return true
        }
        return false
    }
}
