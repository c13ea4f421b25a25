/// A DNS message (RFC 1035 §4): header, question, answer, authority and additional sections, plus EDNS.
///
/// The OPT pseudo-record is not kept in ``additional``: it is decoded into ``edns`` and encoded from it.
public struct Message: Hashable, Sendable {
    public var header: Header
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    public var additional: [ResourceRecord]
    public var edns: EDNS?

    public init(
        header: Header = Header(), questions: [Question] = [], answers: [ResourceRecord] = [],
        authority: [ResourceRecord] = [], additional: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// The full 12-bit RCODE (header bits plus EDNS extended bits).
    public var responseCode: ResponseCode {
        get { ResponseCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeLow)) }
        set {
            header.rcodeLow = UInt8(newValue.rawValue & 0x0F)
            if newValue.isExtended || edns != nil {
                if edns == nil { edns = EDNS() }
                edns?.extendedRCode = UInt8(newValue.rawValue >> 4)
            }
        }
    }

    /// Limits that bound the work of decoding untrusted input; every one is checked before the data is used.
    public struct DecodingLimits: Hashable, Sendable {
        /// The largest message accepted (65535 for TCP; a UDP server may pass its buffer size).
        public var maxMessageSize: Int
        /// The most questions accepted (real queries have exactly one).
        public var maxQuestions: Int
        /// The most records accepted over all three record sections.
        public var maxRecords: Int

        public init(maxMessageSize: Int = 65535, maxQuestions: Int = 1, maxRecords: Int = 4096) {
            self.maxMessageSize = maxMessageSize
            self.maxQuestions = maxQuestions
            self.maxRecords = maxRecords
        }
    }

    /// Decodes a message.
    ///
    /// - Throws: ``DNSWireError``; a server answers any of its codes with FORMERR.
    public init(wire bytes: [UInt8], limits: DecodingLimits = DecodingLimits()) throws {
        guard bytes.count <= limits.maxMessageSize else {
            throw DNSWireError(.limitExceeded, "message of \(bytes.count) octets exceeds \(limits.maxMessageSize)")
        }
        var r = WireReader(bytes)
        guard bytes.count >= 12 else { throw DNSWireError.truncated("the 12-octet header") }
        let id = try r.readUInt16()
        header = Header(id: id, flags: try r.readUInt16())
        let counts = [try r.readUInt16(), try r.readUInt16(), try r.readUInt16(), try r.readUInt16()].map(Int.init)
        guard counts[0] <= limits.maxQuestions else {
            throw DNSWireError(.limitExceeded, "QDCOUNT \(counts[0]) exceeds the limit \(limits.maxQuestions)")
        }
        guard counts[1] + counts[2] + counts[3] <= limits.maxRecords else {
            throw DNSWireError(.limitExceeded, "record counts exceed the limit \(limits.maxRecords)")
        }
        // Each question needs at least 5 octets and each record 11: refuse impossible counts before allocating.
        guard counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 <= r.remaining else {
            throw DNSWireError(.countMismatch, "section counts announce more records than the message holds")
        }
        var qs: [Question] = []
        for _ in 0..<counts[0] {
            let name = try r.readName()
            let type = RecordType(rawValue: try r.readUInt16())
            qs.append(Question(name: name, type: type, recordClass: RecordClass(rawValue: try r.readUInt16())))
        }
        questions = qs
        func section(_ n: Int) throws -> [ResourceRecord] {
            var out: [ResourceRecord] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                guard r.remaining > 0 else {
                    throw DNSWireError(.countMismatch, "a section count announces more records than are present")
                }
                out.append(try ResourceRecord(wire: &r))
            }
            return out
        }
        answers = try section(counts[1])
        authority = try section(counts[2])
        var extra = try section(counts[3])
        guard r.remaining == 0 else {
            throw DNSWireError(.trailingData, "\(r.remaining) octets follow the last announced record")
        }
        let opts = extra.indices.filter { extra[$0].type == .opt }
        guard opts.count <= 1 else { throw DNSWireError.rdata("more than one OPT record (RFC 6891 §6.1.1)") }
        if let i = opts.first {
            edns = try EDNS(record: extra[i])
            extra.remove(at: i)
        } else {
            edns = nil
        }
        additional = extra
    }

    /// Encodes the message with name compression.
    ///
    /// - Parameter maxSize: the most octets allowed (a UDP server passes the client's EDNS payload size or 512).
    ///   When the answer or authority section does not fit, the records that fit are kept, TC is set, and the
    ///   additional section is dropped; additional records that do not fit are dropped without TC (RFC 2181 §9).
    ///   The OPT record is always kept.
    public func encode(maxSize: Int = 65535) -> [UInt8] {
        var w = WireWriter(compression: true, capacity: min(maxSize, 4096))
        var h = header
        let optSize = edns?.wireSize ?? 0
        let budget = max(maxSize, 12) - optSize
        w.writeUInt16(h.id)
        w.writeUInt16(0)
        for _ in 0..<4 { w.writeUInt16(0) }
        for q in questions {
            w.writeName(q.name)
            w.writeUInt16(q.type.rawValue)
            w.writeUInt16(q.recordClass.rawValue)
        }
        var counts = [questions.count, 0, 0, 0]
        var truncated = false
        for (s, records) in [answers, authority, additional].enumerated() where !truncated {
            for rr in records {
                let mark = w.bytes.count
                rr.encode(into: &w)
                if w.bytes.count > budget {
                    w.rollback(to: mark)
                    if s < 2 { h.tc = true }
                    truncated = true
                    break
                }
                counts[s + 1] += 1
            }
        }
        if let edns {
            edns.encode(into: &w)
            counts[3] += 1
        }
        w.patchUInt16(at: 2, h.flags)
        for (i, c) in counts.enumerated() { w.patchUInt16(at: 4 + 2 * i, UInt16(truncatingIfNeeded: c)) }
        return w.bytes
    }
}
