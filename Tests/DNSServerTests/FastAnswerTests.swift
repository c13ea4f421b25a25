import DNSSEC
import DNSWire
import Testing

@testable import DNSServer

/// The answers written straight from the zone's packed records are the very octets the general path (a ``Message``
/// built by ``Lookup`` and encoded by ``ResponseEncoder``) gives, and every kind of answer they cover is taken.
@Suite("Answers written straight from the zone")
struct FastAnswerTests {
    @Test("positive, NODATA, empty non-terminal and NXDOMAIN answers match the general path octet for octet")
    func fastAnswersMatchTheGeneralPath() throws {
        var records = try TestZone.records(devices: 30)
        records += try ZoneFileReader(origin: TestZone.apex, defaultTTL: 300).read(
            """
            alias 300 IN CNAME ns1
            Mixed.Case 300 IN TXT "x"
            """)
        let zone = try SignedZone(apex: TestZone.apex, records: records, keys: .generate())
        let responder = QueryResponder()
        var names: [DNSName] = [TestZone.apex, try DNSName("ns1", origin: TestZone.apex)]
        names += try ["alias", "mixed.case", "MIXED.case", "case", "_device", "nothing", "x.nothing", "*._device"].map {
            try DNSName($0, origin: TestZone.apex)
        }
        for i in 0..<30 {
            names += [try TestZone.tlsaName(i), try TestZone.certName(i), try TestZone.certName(i, rpid: 999)]
            names.append(try DNSName("\(TestZone.eid(i))", origin: TestZone.apex))
            names.append(try DNSName("\(TestZone.eid(i + 100))._device", origin: TestZone.apex))
            names.append(try DNSName("\(TestZone.eid(i).uppercased()).X", origin: TestZone.apex))
        }
        let types: [RecordType] = [.tlsa, .cert, .a, .aaaa, .soa, .ns, .dnskey, .nsec, .txt, .cname, .any, .ds]
        var taken: [String: Int] = [:]
        for name in names {
            for type in types {
                for edns in [
                    nil, EDNS(udpPayloadSize: 4096, dnssecOK: true), EDNS(udpPayloadSize: 1232, dnssecOK: false),
                    EDNS(udpPayloadSize: 512, dnssecOK: true),
                ] {
                    var query = Message(
                        header: Header(id: 0x4242, rd: true), questions: [Question(name: name, type: type)])
                    query.edns = edns
                    for transport in [QueryResponder.Transport.udp, .stream] {
                        let maxSize = transport == .udp ? responder.udpLimit(for: query) : 65535
                        let general = ResponseEncoder.encode(responder.respond(to: query, zone: zone), maxSize: maxSize)
                        guard
                            let fast = responder.fastResponse(toWire: query.encode(), zone: zone, transport: transport)
                        else {
                            #expect(responder.encodedResponse(to: query, zone: zone, transport: transport) == general)
                            continue
                        }
                        #expect(fast == general, "\(name) \(type) \(String(describing: edns)) \(transport)")
                        // And the server's entry point gives it.
                        #expect(responder.respond(toWire: query.encode(), zone: zone, transport: transport) == general)
                        let decoded = try Message(wire: fast)
                        let kind =
                            decoded.responseCode == .nxDomain
                            ? "nxdomain" : decoded.answers.isEmpty ? "nodata" : "answer"
                        taken[kind + (edns?.dnssecOK == true ? "+do" : ""), default: 0] += 1
                    }
                }
            }
        }
        for kind in ["answer", "answer+do", "nodata", "nodata+do", "nxdomain", "nxdomain+do"] {
            #expect(taken[kind, default: 0] > 0, "no \(kind) answer took the fast path")
        }
    }

    @Test(
        "queries the fast reader does not take get the general path's answer: trailing octets, wrong counts, compression, other opcodes"
    )
    func unusualQueriesTakeTheGeneralPath() throws {
        let zone = try TestZone.signed(devices: 3)
        let responder = QueryResponder()
        let plain = TestZone.query(try TestZone.tlsaName(1), .tlsa).encode()
        #expect(responder.fastResponse(toWire: plain, zone: zone, transport: .udp) != nil)
        // Trailing octets, a count that lies, a compressed question name, a non-zero opcode, a response.
        var variants: [[UInt8]] = [plain + [0], Array(plain.dropLast()), plain]
        variants[2][5] = 2
        var compressed =
            Array(plain[0..<12]) + [0xC0, 0x0C] + Array(plain[(12 + (try TestZone.tlsaName(1)).wire.count)...])
        compressed[11] = 0
        variants.append(Array(compressed[0..<18]))
        var notify = plain
        notify[2] = 0x20
        variants.append(notify)
        var response = plain
        response[2] |= 0x80
        variants.append(response)
        for v in variants {
            #expect(responder.fastResponse(toWire: v, zone: zone, transport: .udp) == nil)
            #expect(
                responder.respond(toWire: v, zone: zone, transport: .udp)
                    == (v[2] & 0x80 != 0 ? nil : general(v, zone, responder)))
        }
    }

    /// The general path's answer to `bytes` (what ``QueryResponder/respond(toWire:zone:transport:)`` gave before
    /// the fast reader), or FORMERR as it gives for an undecodable query.
    func general(_ bytes: [UInt8], _ zone: SignedZone, _ responder: QueryResponder) -> [UInt8]? {
        guard
            let query = try? Message(wire: bytes, limits: Message.DecodingLimits(maxMessageSize: 65535, maxRecords: 64))
        else {
            var h = Header(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), qr: true)
            h.opcode = Opcode(rawValue: (bytes[2] >> 3) & 0x0F)
            h.rd = bytes[2] & 0x01 != 0
            h.rcodeLow = 1
            return Message(header: h).encode(maxSize: 512)
        }
        return ResponseEncoder.encode(
            responder.respond(to: query, zone: zone), maxSize: responder.udpLimit(for: query))
    }
}
