public import DNSWire
public import NIOCore

/// Asks a server which serial of a zone it serves: the SOA it answers authoritatively (RFC 1996 §4.7, as
/// secondaries check their primaries). A hidden primary uses it to learn when its secondaries serve a change.
public struct SerialProbe: Sendable {
    let exchange: UDPExchange

    public init(group: any EventLoopGroup, timeout: TimeAmount = .seconds(1)) {
        exchange = UDPExchange(group: group, timeout: timeout)
    }

    /// The serial `server` serves for `zone`; nil when it does not answer in time, or answers without authority
    /// (a secondary that has not loaded the zone yet answers SERVFAIL or REFUSED).
    public func serial(of zone: DNSName, at server: SocketAddress) async -> UInt32? {
        let id = UInt16.random(in: 0...UInt16.max)
        var query = Message(header: Header(id: id, opcode: .query))
        query.questions = [Question(name: zone, type: .soa)]
        guard let bytes = await exchange.ask(query.encode(), id: id, at: server),
            let answer = try? Message(wire: bytes), answer.responseCode == .noError, answer.header.aa
        else { return nil }
        for record in answer.answers where record.name == zone {
            if case .soa(let soa) = record.rdata { return soa.serial }
        }
        return nil
    }
}
