public import DNSSEC
public import DNSWire

/// Authoritative answers from a signed zone (RFC 1034 §4.3.2, RFC 4035 §3.1), computed without any I/O.
///
/// The transports decode nothing themselves: they hand the received octets to ``respond(toWire:zone:transport:)``
/// and send what it returns (or nothing). Zone transfers are answered elsewhere (``ZoneTransfer``).
public struct QueryResponder: Sendable {
    /// The transport a query came in on: UDP answers are bounded by the client's buffer and get TC when cut.
    public enum Transport: Hashable, Sendable {
        case udp
        case stream
    }

    /// The largest UDP payload this server sends, whatever the client offers (RFC 9715 recommends 1232).
    public var maxUDPPayload: Int
    /// The payload size advertised in our OPT record.
    public var advertisedUDPPayload: UInt16

    public init(maxUDPPayload: Int = 1232) {
        self.maxUDPPayload = max(512, maxUDPPayload)
        advertisedUDPPayload = UInt16(clamping: self.maxUDPPayload)
    }

    /// Answers the wire-format query `bytes`.
    ///
    /// - Returns: the response octets, or nil when nothing must be sent (the packet is a response, or too short to
    ///   carry an id). Undecodable queries get FORMERR with their id and opcode.
    public func respond(toWire bytes: [UInt8], zone: SignedZone, transport: Transport) -> [UInt8]? {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
        if let fast = fastResponse(toWire: bytes, zone: zone, transport: transport) { return fast }
        let query: Message
        do {
            query = try Message(wire: bytes, limits: Message.DecodingLimits(maxMessageSize: 65535, maxRecords: 64))
        } catch {
            var h = Header(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), qr: true)
            h.opcode = Opcode(rawValue: (bytes[2] >> 3) & 0x0F)
            h.rd = bytes[2] & 0x01 != 0
            h.rcodeLow = ResponseCode.formErr.rawValue.lowBits
            return Message(header: h).encode(maxSize: 512)
        }
        return encodedResponse(to: query, zone: zone, transport: transport)
    }

    /// The response to a decoded query, built as a ``Message`` and encoded: the general path, for queries that
    /// ``fastResponse(toWire:zone:transport:)`` left.
    public func encodedResponse(to query: Message, zone: SignedZone, transport: Transport) -> [UInt8] {
        ResponseEncoder.encode(
            respond(to: query, zone: zone), maxSize: transport == .udp ? udpLimit(for: query) : 65535)
    }

    /// The answer to a plain query (one question, perhaps an OPT record) for a name the zone holds or proves
    /// absent, written straight from the zone without decoding the query into a ``Message``; nil for every other
    /// query, which ``respond(toWire:zone:transport:)`` answers.
    public func fastResponse(toWire bytes: [UInt8], zone: SignedZone, transport: Transport) -> [UInt8]? {
        guard let query = FastAnswer.Query(wire: bytes) else { return nil }
        return FastAnswer.respond(
            to: query, zone: zone,
            maxSize: transport == .udp ? udpLimit(payloadSize: query.edns?.udpPayloadSize) : 65535,
            advertisedUDPPayload: advertisedUDPPayload)
    }

    /// The size a UDP answer to `query` may take: the client's EDNS size (at least 512) capped by ours, else 512.
    public func udpLimit(for query: Message) -> Int { udpLimit(payloadSize: query.edns?.udpPayloadSize) }

    func udpLimit(payloadSize: UInt16?) -> Int {
        payloadSize.map { min(maxUDPPayload, max(512, Int($0))) } ?? 512
    }

    /// Answers a decoded query from `zone`.
    public func respond(to query: Message, zone: SignedZone) -> Message {
        var r = Message(header: Header(id: query.header.id, qr: true, opcode: query.header.opcode, rd: query.header.rd))
        r.questions = query.questions
        r.header.cd = query.header.cd
        if let edns = query.edns {
            r.edns = EDNS(udpPayloadSize: advertisedUDPPayload, dnssecOK: edns.dnssecOK)
            guard edns.version == 0 else {
                r.questions = []
                r.responseCode = .badVers
                return r
            }
        }
        guard query.header.opcode == .query else {
            r.responseCode = .notImp
            return r
        }
        guard query.questions.count == 1, query.answers.isEmpty, query.authority.isEmpty, let q = query.questions.first
        else {
            r.responseCode = .formErr
            return r
        }
        guard q.recordClass == .in || q.recordClass == .any, q.name.isSubdomain(of: zone.apex) else {
            r.responseCode = .refused
            return r
        }
        guard !q.type.isMetaType || q.type == .any || q.type == .ixfr else {
            // AXFR and other meta types have no answer over a plain query (AXFR is served by ZoneTransfer).
            r.responseCode = q.type == .axfr ? .refused : .formErr
            return r
        }
        r.header.aa = true
        let dnssec = query.edns?.dnssecOK ?? false
        if q.type == .ixfr {
            // RFC 1995 §4: a UDP IXFR gets the current SOA; the client then asks over TCP.
            if let soa = zone.rrset(zone.apex, .soa) { r.answers = records(soa, dnssec: dnssec) }
            return r
        }
        Lookup(zone: zone, qname: q.name.lowercased(), qtype: q.type, dnssec: dnssec).answer(into: &r)
        return r
    }

    func records(_ set: SignedRRSet, dnssec: Bool) -> [ResourceRecord] {
        dnssec ? set.records : set.rrset.records
    }
}

extension UInt16 {
    fileprivate var lowBits: UInt8 { UInt8(self & 0x0F) }
}
