import DNSSEC
import DNSWire
import Testing

@testable import DNSServer

/// Answers from the pure responder, arranged after RFC 1034 §4.3.2 and RFC 4035 §3.1.
@Suite struct QueryResponderTests {
    let zone: SignedZone
    let responder = QueryResponder()

    init() throws { zone = try TestZone.signed(devices: 5) }

    func ask(_ name: DNSName, _ type: RecordType, dnssec: Bool = true) -> Message {
        responder.respond(to: TestZone.query(name, type, dnssec: dnssec), zone: zone)
    }

    func types(_ rrs: [ResourceRecord]) -> [RecordType] { rrs.map(\.type) }

    @Test func exactMatchWithSignaturesWhenDO() throws {
        let r = ask(try TestZone.tlsaName(1), .tlsa)
        #expect(r.header.qr && r.header.aa)
        #expect(r.responseCode == .noError)
        #expect(types(r.answers) == [.tlsa, .rrsig])
        #expect(r.edns?.dnssecOK == true)
        let plain = ask(try TestZone.tlsaName(1), .tlsa, dnssec: false)
        #expect(types(plain.answers) == [.tlsa])
        #expect(plain.edns?.dnssecOK == false)
    }

    @Test func noDataHasSOAAndTheNameNSEC() throws {
        let r = ask(try TestZone.tlsaName(1), .a)
        #expect(r.responseCode == .noError && r.answers.isEmpty)
        #expect(types(r.authority) == [.soa, .rrsig, .nsec, .rrsig])
        #expect(r.authority[2].name == (try TestZone.tlsaName(1)))
        // RFC 2308 §3 / RFC 9077: the negative TTL is the SOA MINIMUM (300), not the SOA TTL (3600).
        #expect(r.authority[0].ttl == 300)
    }

    @Test func emptyNonTerminalIsNoData() throws {
        // `<eid>.Z` holds no records but `<rpid>.<eid>.Z` does (RFC 4592 §2.2.2).
        let r = ask(try DNSName(TestZone.eid(2), origin: TestZone.apex), .a)
        #expect(r.responseCode == .noError && r.answers.isEmpty)
        #expect(types(r.authority) == [.soa, .rrsig, .nsec, .rrsig])
    }

    @Test func nxDomainProvesNameAndWildcardAbsent() throws {
        let r = ask(try TestZone.certName(1, rpid: 999), .cert)
        #expect(r.responseCode == .nxDomain && r.header.aa)
        #expect(types(r.authority).filter { $0 == .nsec }.count == 2)
        #expect(types(r.authority).prefix(2) == [.soa, .rrsig])
        #expect(r.authority.filter { $0.type == .rrsig }.count == 3)
    }

    @Test func wildcardSynthesisKeepsTheWildcardSignature() throws {
        let name = try TestZone.tlsaName(4242)
        let r = ask(name, .tlsa)
        #expect(r.responseCode == .noError)
        #expect(types(r.answers) == [.tlsa, .rrsig])
        #expect(r.answers.allSatisfy { $0.name == name })
        guard case .rrsig(let sig)? = r.answers.last?.rdata else { Issue.record("no RRSIG"); return }
        // RFC 4035 §5.3.4: the labels field counts `_device.iotregistry.test`, fewer than the owner's labels.
        #expect(Int(sig.labels) == name.labelCount - 1)
        #expect(types(r.authority) == [.nsec, .rrsig])
    }

    /// The closest encloser of an absent name is read off the NSEC that covers it, from its owner or, as here, its
    /// next name: `!.b` sorts before every name below the empty non-terminal `b`, so the covering NSEC is owned by a
    /// name outside `b` and only its next name (`*.b`) shows that `b` exists and the wildcard applies.
    @Test func wildcardBelowAnEmptyNonTerminalFoundThroughTheNextName() throws {
        let records = try ZoneFileReader(origin: TestZone.apex, defaultTTL: 300).read(
            """
            @ 3600 IN SOA ns1 hostmaster 2026112300 3600 900 1209600 300
            @ 3600 IN NS ns1
            ns1 3600 IN A 127.0.0.1
            *.b 300 IN TXT "wildcard"
            a.b 300 IN TXT "a"
            """)
        let zone = try SignedZone(apex: TestZone.apex, records: records, keys: .generate())
        let name = try DNSName(labels: [[UInt8(ascii: "!")], Array("b".utf8)]).appending(TestZone.apex)
        let r = responder.respond(to: TestZone.query(name, .txt), zone: zone)
        #expect(r.responseCode == .noError)
        #expect(types(r.answers) == [.txt, .rrsig])
        #expect(r.answers.first?.rdata == .txt(TXT(strings: [Array("wildcard".utf8)])!))
        #expect(types(r.authority) == [.nsec, .rrsig])

        let below = try DNSName(labels: [[UInt8(ascii: "!")], Array("c".utf8)]).appending(TestZone.apex)
        let nx = responder.respond(to: TestZone.query(below, .txt), zone: zone)
        #expect(nx.responseCode == .nxDomain)
    }

    @Test func negativeAnswersCarryTheCurrentSOAAndItsSignature() throws {
        var zone = self.zone
        let before = zone.serial
        _ = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(7)))
        let r = responder.respond(to: TestZone.query(try TestZone.certName(1, rpid: 999), .cert), zone: zone)
        guard case .soa(let soa)? = r.authority.first?.rdata,
            case .rrsig(let sig)? = r.authority.dropFirst().first?.rdata
        else {
            Issue.record("no SOA and RRSIG first in \(r.authority)")
            return
        }
        #expect(soa.serial == zone.serial && soa.serial != before)
        #expect(zone.rrset(zone.apex, .soa)?.signatures == [sig])
    }

    @Test func outOfZoneIsRefused() throws {
        let r = ask(try DNSName("example.com."), .a)
        #expect(r.responseCode == .refused && !r.header.aa)
    }

    @Test func unknownOpcodeIsNotImplemented() throws {
        var q = TestZone.query(TestZone.apex, .soa)
        q.header.opcode = .update
        #expect(responder.respond(to: q, zone: zone).responseCode == .notImp)
    }

    @Test func unknownEDNSVersionIsBadVers() throws {
        var q = TestZone.query(TestZone.apex, .soa)
        q.edns?.version = 1
        #expect(responder.respond(to: q, zone: zone).responseCode == .badVers)
    }

    @Test func malformedQueryGetsFormErrWithItsID() throws {
        var bytes = TestZone.query(TestZone.apex, .soa, id: 0xBEEF).encode()
        bytes.removeLast(3)
        let out = try #require(responder.respond(toWire: bytes, zone: zone, transport: .udp))
        let m = try Message(wire: out)
        #expect(m.header.id == 0xBEEF && m.header.qr)
        #expect(m.responseCode == .formErr)
    }

    @Test func responsesAreNeverAnswered() throws {
        var m = TestZone.query(TestZone.apex, .soa)
        m.header.qr = true
        #expect(responder.respond(toWire: m.encode(), zone: zone, transport: .udp) == nil)
    }

    @Test func twoQuestionsAreFormErr() throws {
        var q = TestZone.query(TestZone.apex, .soa)
        q.questions.append(q.questions[0])
        #expect(responder.respond(to: q, zone: zone).responseCode == .formErr)
    }

    @Test func truncatesTo512() throws {
        // The signed ANY answer at the apex does not fit in 512 octets.
        var q = TestZone.query(TestZone.apex, .any)
        q.edns?.udpPayloadSize = 512
        let out = try #require(responder.respond(toWire: q.encode(), zone: zone, transport: .udp))
        #expect(out.count <= 512)
        #expect(try Message(wire: out).header.tc)
        let stream = try #require(responder.respond(toWire: q.encode(), zone: zone, transport: .stream))
        #expect(try !Message(wire: stream).header.tc)
    }

    @Test func truncatesToTheClientsEDNSSize() throws {
        var q = TestZone.query(TestZone.apex, .any)
        q.edns?.udpPayloadSize = 600
        let out = try #require(responder.respond(toWire: q.encode(), zone: zone, transport: .udp))
        #expect(out.count <= 600)
        let m = try Message(wire: out)
        #expect(m.header.tc && m.edns != nil)
    }
}

/// The fast encoder against DNSWire's ``Message/encode(maxSize:)``: the same message after decoding, never larger.
@Suite struct ResponseEncoderTests {
    @Test func decodesToWhatMessageEncodeGives() throws {
        let zone = try TestZone.signed(devices: 5)
        let responder = QueryResponder()
        var queries = [
            TestZone.query(try TestZone.tlsaName(1), .tlsa), TestZone.query(try TestZone.tlsaName(1), .a),
            TestZone.query(try TestZone.certName(1, rpid: 999), .cert),
            TestZone.query(try TestZone.tlsaName(4242), .tlsa),
            TestZone.query(TestZone.apex, .dnskey), TestZone.query(TestZone.apex, .any),
            TestZone.query(try DNSName("NS1.IotRegistry.TEST."), .a, dnssec: false),
            TestZone.query(try DNSName("example.com."), .a),
        ]
        var badVers = TestZone.query(TestZone.apex, .soa)
        badVers.edns?.version = 1
        queries.append(badVers)
        for q in queries {
            let m = responder.respond(to: q, zone: zone)
            for size in [512, 1232, 65535] {
                let fast = ResponseEncoder.encode(m, maxSize: size)
                let reference = m.encode(maxSize: size)
                let a = try Message(wire: fast)
                let b = try Message(wire: reference)
                // Our narrower compression may cut a record earlier; then both must say TC.
                if a.header.tc || b.header.tc {
                    #expect(a.header.tc && b.header.tc, "\(q.questions) at \(size)")
                } else {
                    #expect(a == b, "\(q.questions) at \(size)")
                }
                #expect(fast.count <= size)
            }
        }
    }
}
