import Testing

@testable import DNSWire

@Suite struct RDataTests {
    static let origin = try! DNSName("iotregistry.test.")

    /// One presentation line per modelled type, each in the form our writer prints.
    static let samples: [(RecordType, String)] = [
        (.a, "192.0.2.1"),
        (.aaaa, "2001:db8::1"),
        (.aaaa, "::"),
        (.aaaa, "fe80::1:0:0:2"),
        (.ns, "ns1.iotregistry.test."),
        (.cname, "target.example."),
        (.soa, "ns1.iotregistry.test. hostmaster.iotregistry.test. 2026112301 3600 900 1209600 300"),
        (.txt, "\"hello world\" \"with \\\"quote\\\" and \\\\ and \\007\""),
        (.tlsa, "3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"),
        (.tlsa, "2 0 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"),
        (.cert, "PKIX 0 0 MIIBszCCAVmgAwIBAgIUZm9vYmFy"),
        (.dnskey, "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        (.ds, "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"),
        (.rrsig, "TLSA 13 4 300 20261223000000 20261123000000 46690 iotregistry.test. AAECAwQFBgcICQ=="),
        (.nsec, "b.iotregistry.test. A NS SOA TXT AAAA RRSIG NSEC DNSKEY TLSA TYPE1234"),
        (.nsec3param, "1 0 0 -"),
        (.nsec3param, "1 0 10 aabbccdd"),
        (RecordType(rawValue: 65280), "\\# 4 0a000001"),
        (RecordType(rawValue: 65281), "\\# 0"),
    ]

    @Test(arguments: samples) func roundTripsTextAndWire(type: RecordType, text: String) throws {
        let rdata = try RData(type: type, presentation: text, origin: Self.origin)
        #expect(rdata.type == type)
        #expect(rdata.presentation == text)
        var w = WireWriter()
        rdata.encode(into: &w)
        let back = try RData(type: type, wire: w.bytes)
        #expect(back == rdata)
        // RFC 3597 generic form parses to the same typed value.
        let generic =
            "\\# \(w.bytes.count) "
            + w.bytes.map { String($0, radix: 16) }.map {
                $0.count == 1 ? "0" + $0 : $0
            }.joined()
        #expect(try RData(type: type, presentation: w.bytes.isEmpty ? "\\# 0" : generic) == rdata)
    }

    @Test func aaaaTextForms() throws {
        let v4mapped = try RData(type: .aaaa, presentation: "::ffff:192.0.2.1")
        #expect(v4mapped.presentation == "::ffff:c000:201")
        #expect(throws: DNSWireError.self) { try RData(type: .aaaa, presentation: "1::2::3") }
        #expect(throws: DNSWireError.self) { try RData(type: .aaaa, presentation: "1:2:3:4:5:6:7:8:9") }
    }

    /// RFC 4034 §2.2 example DNSKEY and §5.4 DS: the key tag 60485 and the DS digest in the RFC.
    @Test func keyTagRFC4034Example() throws {
        let key = try RData(
            type: .dnskey,
            presentation: """
                256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvx\
                egXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==
                """)
        guard case .dnskey(let k) = key else { Issue.record("not a DNSKEY"); return }
        #expect(k.keyTag == 60485)
        #expect(k.isZoneKey && !k.isSecureEntryPoint)
    }

    @Test func refusesMalformedRData() {
        #expect(throws: DNSWireError(.badRData, "")) { try RData(type: .a, wire: [1, 2, 3]) }
        #expect(throws: DNSWireError(.badRData, "")) { try RData(type: .nsec, wire: [0, 0, 0]) }
        #expect(throws: DNSWireError(.truncated, "")) { try RData(type: .soa, wire: [0, 0, 0, 0, 0]) }
        #expect(throws: DNSWireError(.badPresentation, "")) { try RData(type: .tlsa, presentation: "3 1 1 abc") }
        #expect(throws: DNSWireError(.badPresentation, "")) { try RData(type: .a, presentation: "1.2.3") }
        #expect(throws: DNSWireError(.badPresentation, "")) { try RData(type: .a, presentation: "\\# 3 0102") }
        #expect(throws: DNSWireError(.unknownMnemonic, "")) {
            try RData(type: RecordType(rawValue: 999), presentation: "x")
        }
    }

    @Test func dnssecTimeFormat() throws {
        #expect(DNSSECTime.format(0) == "19700101000000")
        #expect(try DNSSECTime.parse("20261123000000") == 1_795_392_000)
        #expect(DNSSECTime.format(1_795_392_000) == "20261123000000")
        #expect(try DNSSECTime.parse("1795392000") == 1_795_392_000)
    }

    @Test func rrsetGrouping() throws {
        let n = try DNSName("a.example.")
        let r1 = ResourceRecord(name: n, ttl: 300, rdata: try RData(type: .a, presentation: "192.0.2.1"))
        let r2 = ResourceRecord(name: n, ttl: 60, rdata: try RData(type: .a, presentation: "192.0.2.2"))
        let sets = RRSet.group([r1, r2, r1])
        #expect(sets.count == 1)
        #expect(sets[0].ttl == 60)
        #expect(sets[0].rdatas.count == 2)
    }
}
