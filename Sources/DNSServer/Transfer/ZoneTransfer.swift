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
        incrementalRecords(snapshot, clientSerial: clientSerial) ?? axfrRecords(snapshot.zone)
    }

    /// The records of an IXFR answer short of a full zone, or nil when the journal does not reach `clientSerial`.
    func incrementalRecords(_ snapshot: ZoneSnapshot, clientSerial: UInt32) -> [ResourceRecord]? {
        let zone = snapshot.zone
        guard let soa = zone.rrset(zone.apex, .soa)?.rrset.records.first else { return [] }
        if !SerialNumber(clientSerial).isBefore(SerialNumber(snapshot.serial)) { return [soa] }
        guard let diffs = snapshot.journal.diffs(from: clientSerial) else { return nil }
        var out = [soa]
        for d in diffs { out += d.removed + d.added }
        out.append(soa)
        return out
    }

    /// The messages of a full transfer of `zone` (RFC 5936 §2.2), made one at a time as they are sent.
    public func axfrMessages(for query: Message, zone: SignedZone) -> TransferMessages {
        TransferMessages(query: query, budget: messageBudget, source: .zone(zone, SignedZone.NameCursor()))
    }

    /// The messages of an incremental transfer from `clientSerial` (RFC 1995 §4): as ``ixfrRecords(_:clientSerial:)``,
    /// with a full zone streamed like ``axfrMessages(for:zone:)``.
    public func ixfrMessages(for query: Message, snapshot: ZoneSnapshot, clientSerial: UInt32) -> TransferMessages {
        guard let records = incrementalRecords(snapshot, clientSerial: clientSerial) else {
            return axfrMessages(for: query, zone: snapshot.zone)
        }
        return TransferMessages(query: query, budget: messageBudget, source: .records(records))
    }

    /// Splits `records` into response messages to `query` (each with the question, AA set).
    public func messages(for query: Message, records: [ResourceRecord]) -> [Message] {
        var stream = TransferMessages(query: query, budget: messageBudget, source: .records(records))
        var out: [Message] = []
        while let m = stream.nextMessage() { out.append(m) }
        return out
    }
}

/// The response messages of one zone transfer, made one at a time: a connection takes the next when it has sent
/// the last, so a transfer of a zone of millions of devices holds one message of it, not the whole zone as records
/// and messages (several times the zone's own memory).
///
/// Each message has the question and AA; records are added until the next would pass the budget; there is at
/// least one message. ``ZoneTransfer/messages(for:records:)`` is this for a list held whole.
public struct TransferMessages: Sendable {
    enum Source: Sendable {
        case records([ResourceRecord])
        case zone(SignedZone, SignedZone.NameCursor)
    }

    let query: Message
    let budget: Int
    private var source: Source
    private var buffered: [ResourceRecord] = []
    private var next = 0
    /// The SOA that ends a full transfer, once the zone's records are read (RFC 5936 §2.2).
    private var trailer: ResourceRecord?
    private var exhausted = false
    private var sentAny = false

    init(query: Message, budget: Int, source: Source) {
        self.query = query
        self.budget = budget
        self.source = source
        if case .zone(let zone, _) = source { trailer = zone.rrset(zone.apex, .soa)?.rrset.records.first }
    }

    /// Refills the buffer; false when every record is taken.
    private mutating func refill() -> Bool {
        buffered = []
        next = 0
        switch source {
        case .records(let all):
            buffered = all
            source = .records([])
        case .zone(let zone, var cursor):
            buffered = zone.records(from: &cursor, names: 32)
            source = .zone(zone, cursor)
            if buffered.isEmpty, let soa = trailer {
                buffered = [soa]
                trailer = nil
            }
        }
        return !buffered.isEmpty
    }

    /// The next message, or nil when the transfer is complete.
    public mutating func nextMessage() -> Message? {
        var current: [ResourceRecord] = []
        var size = 0
        while !exhausted {
            if next == buffered.count && !refill() {
                exhausted = true
                break
            }
            let r = buffered[next]
            let s = r.name.wire.count + 10 + r.rdata.canonicalWire.count
            if size + s > budget, !current.isEmpty { break }
            current.append(r)
            size += s
            next += 1
        }
        guard !current.isEmpty || !sentAny else { return nil }
        sentAny = true
        var m = Message(header: Header(id: query.header.id, qr: true, opcode: .query, aa: true))
        m.questions = query.questions
        m.answers = current
        if let e = query.edns { m.edns = EDNS(dnssecOK: e.dnssecOK) }
        return m
    }
}
