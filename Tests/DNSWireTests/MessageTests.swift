import Testing

@testable import DNSWire

@Suite struct MessageTests {
    static func record(_ name: String, _ type: RecordType, _ text: String, ttl: UInt32 = 300) throws -> ResourceRecord {
        ResourceRecord(name: try DNSName(name), ttl: ttl, rdata: try RData(type: type, presentation: text))
    }

    static func sample() throws -> Message {
        var m = Message(header: Header(id: 0xBEEF, qr: true, aa: true, rd: true, ad: true))
        m.questions = [Question(name: try DNSName("www.example."), type: .a)]
        m.answers = [try record("www.example.", .a, "192.0.2.1"), try record("www.example.", .a, "192.0.2.2")]
        m.authority = [try record("example.", .ns, "ns1.example.")]
        m.additional = [try record("ns1.example.", .aaaa, "2001:db8::53")]
        m.edns = EDNS(
            udpPayloadSize: 1232, dnssecOK: true, options: [EDNS.Option(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        return m
    }

    @Test func roundTripWithCompression() throws {
        let m = try Self.sample()
        let wire = m.encode()
        #expect(try Message(wire: wire) == m)
        // www.example. appears 3 times; compressed, each repeat is a 2-octet pointer.
        var plain = WireWriter()
        for rr in m.answers { rr.encode(into: &plain) }
        #expect(wire.count < 12 + 17 + plain.bytes.count + 100)
        #expect(wire.count == 130)
    }

    /// A query as `dig +noedns www.example.com A` sends it (RFC 1035 §4.1 layout), id 0x1234, RD set.
    @Test func decodesDigQuery() throws {
        let bytes: [UInt8] = [
            0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00,
            0x00, 0x01, 0x00, 0x01,
        ]
        let m = try Message(wire: bytes)
        #expect(m.header.id == 0x1234 && m.header.rd && !m.header.qr)
        #expect(m.questions == [Question(name: try DNSName("www.example.com."), type: .a)])
        #expect(m.encode() == bytes)
    }

    @Test func extendedRCodeUsesEDNS() throws {
        var m = Message(header: Header(id: 1, qr: true))
        m.responseCode = .badVers
        #expect(m.edns?.extendedRCode == 1)
        let back = try Message(wire: m.encode())
        #expect(back.responseCode == .badVers)
    }

    @Test func truncatesCleanlyAndSetsTC() throws {
        var m = Message(header: Header(id: 7, qr: true, aa: true))
        m.questions = [Question(name: try DNSName("big.example."), type: .txt)]
        for i in 0..<40 {
            m.answers.append(
                try Self.record("big.example.", .txt, "\"record \(i) \(String(repeating: "x", count: 40))\""))
        }
        m.edns = EDNS(udpPayloadSize: 512)
        let wire = m.encode(maxSize: 512)
        #expect(wire.count <= 512)
        let back = try Message(wire: wire)
        #expect(back.header.tc)
        #expect(back.answers.count > 0 && back.answers.count < 40)
        #expect(back.edns != nil)
        #expect(Array(m.answers.prefix(back.answers.count)) == back.answers)
        // Additional-only overflow drops records without TC.
        var n = Message(header: Header(id: 8, qr: true))
        n.additional = m.answers
        let nb = try Message(wire: n.encode(maxSize: 512))
        #expect(!nb.header.tc)
    }

    // MARK: - Negative fixtures, named after their defect

    static let header: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]

    @Test func compressionLoopIsRefused() {
        // The question name is a pointer to itself (offset 12).
        let selfPointer = Self.header + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError(.badPointer, "")) { try Message(wire: selfPointer) }
        // Two pointers pointing at each other: label "a" then a pointer back to the label.
        let loop: [UInt8] = Array(Self.header.prefix(5)) + [1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError(.badPointer, "")) { try Message(wire: loop) }
    }

    @Test func forwardPointerIsRefused() {
        let forward = Self.header + [0xC0, 20, 0, 1, 0, 1, 0, 0, 1, 0x61, 0]
        #expect(throws: DNSWireError(.badPointer, "")) { try Message(wire: forward) }
    }

    @Test func countsLargerThanDataAreRefused() {
        let lying: [UInt8] = [0, 1, 0x81, 0x80, 0, 0, 0x00, 0x05, 0, 0, 0, 0] + [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSWireError(.countMismatch, "")) { try Message(wire: lying) }
        let huge: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0xFF, 0xFF, 0, 0, 0, 0]
        #expect(throws: DNSWireError(.limitExceeded, "")) { try Message(wire: huge) }
    }

    @Test func trailingOctetsAreRefused() throws {
        var wire = try Self.sample().encode()
        wire.append(0)
        #expect(throws: DNSWireError(.trailingData, "")) { try Message(wire: wire) }
    }

    @Test func rdlengthBeyondMessageIsTruncated() throws {
        var wire = try Self.sample().encode()
        wire.removeLast(3)
        #expect(throws: DNSWireError.self) { try Message(wire: wire) }
    }

    @Test func labelOf64OctetsIsRefused() {
        let bad: [UInt8] =
            Array(Self.header.prefix(5)) + [1, 0, 0, 0, 0, 0, 0] + [64] + Array(repeating: 0x61, count: 64) + [
                0, 0, 1, 0, 1,
            ]
        #expect(throws: DNSWireError.self) { try Message(wire: Array(bad)) }
    }

    @Test func pointerInsideRRSIGSignerIsRefused() throws {
        // RFC 3597 §4: RRSIG's signer name must not be compressed.
        var rd: [UInt8] = [0, 1, 13, 2, 0, 0, 1, 44, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1]
        rd += [0xC0, 12]
        #expect(throws: DNSWireError(.badPointer, "")) { try RData(type: .rrsig, wire: rd) }
    }
}
