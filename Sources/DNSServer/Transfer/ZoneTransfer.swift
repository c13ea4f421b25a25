public import DNSSEC
public import DNSWire

/// Zone transfer answers: AXFR (RFC 5936) and IXFR (RFC 1995) as a sequence of messages for one TCP stream.
public struct ZoneTransfer: Sendable {
    /// Roughly how many octets of records go into one message (below the 65535 limit, leaving room for TSIG).
    public var messageBudget: Int

    public init(messageBudget: Int = 16_000) { self.messageBudget = max(512, messageBudget) }

    /// The records of a full transfer: the SOA, every other record, and the SOA again (RFC 5936 §2.2).
    public func axfrRecords(_ zone: SignedZone) -> [ResourceRecord] {
        let all = zone.records
        guard let soa = all.first(where: { $0.type == .soa }) else { return all }
        return all + [soa]
    }

    /// The records of an incremental transfer from `clientSerial` (RFC 1995 §4): the current SOA alone when the
    /// client is current, the journal's difference sequences when it holds the client's serial, else a full zone.
    public func ixfrRecords(_ snapshot: ZoneSnapshot, clientSerial: UInt32) -> [ResourceRecord] {
        let zone = snapshot.zone
        guard let soa = zone.rrset(zone.apex, .soa)?.rrset.records.first else { return [] }
        if !SerialNumber(clientSerial).isBefore(SerialNumber(snapshot.serial)) { return [soa] }
        guard let diffs = snapshot.journal.diffs(from: clientSerial) else { return axfrRecords(zone) }
        var out = [soa]
        for d in diffs { out += d.removed + d.added }
        out.append(soa)
        return out
    }

    /// Splits `records` into response messages to `query` (each with the question, AA set).
    public func messages(for query: Message, records: [ResourceRecord]) -> [Message] {
        var out: [Message] = []
        var current: [ResourceRecord] = []
        var size = 0
        func flush() {
            var m = Message(header: Header(id: query.header.id, qr: true, opcode: .query, aa: true))
            m.questions = query.questions
            m.answers = current
            if let e = query.edns { m.edns = EDNS(dnssecOK: e.dnssecOK) }
            out.append(m)
            current = []
            size = 0
        }
        for r in records {
            let s = r.name.wire.count + 10 + r.rdata.canonicalWire.count
            if size + s > messageBudget, !current.isEmpty { flush() }
            current.append(r)
            size += s
        }
        if !current.isEmpty || out.isEmpty { flush() }
        return out
    }
}
