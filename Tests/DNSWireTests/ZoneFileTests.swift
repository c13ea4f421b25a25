import Foundation
import PeerTesting
import Testing

@testable import DNSWire

@Suite struct ZoneFileTests {
    static let zoneText = """
        $ORIGIN iotregistry.test.
        $TTL 1h
        @   IN SOA ns1 hostmaster ( 2026112301 ; serial
                    3600 900 2w 300 )
            IN NS  ns1
        ns1 300 IN A 192.0.2.53
            IN 300 AAAA 2001:db8::53
        www CNAME @
        txt TXT "v=spf1 -all" "second; not a comment"
        _443._tcp.asp TLSA 3 1 1 ( 0c72ac70b745ac19998811b131d662c9
                                   ac69dbdbe7cb23e5b514b56664c5d3d6 )
        unknown TYPE65280 \\# 2 abcd
        """

    @Test func readsDirectivesRelativeNamesAndContinuations() throws {
        let records = try ZoneFileReader().read(Self.zoneText)
        #expect(records.count == 8)
        #expect(records[0].name.description == "iotregistry.test.")
        #expect(records[0].ttl == 3600)
        guard case .soa(let soa) = records[0].rdata else { Issue.record("no SOA"); return }
        #expect(soa.expire == 1_209_600 && soa.minimum == 300 && soa.mname.description == "ns1.iotregistry.test.")
        #expect(records[1].name == records[0].name && records[1].type == .ns)
        #expect(records[3].name.description == "ns1.iotregistry.test." && records[3].ttl == 300)
        #expect(records[5].rdata.presentation == "\"v=spf1 -all\" \"second; not a comment\"")
        #expect(records[6].rdata.presentation.hasSuffix("64c5d3d6"))
        #expect(records[7].type.rawValue == 65280)
    }

    @Test func writerOutputReadsBack() throws {
        let records = try ZoneFileReader().read(Self.zoneText)
        let text = ZoneFileWriter.write(records)
        #expect(try ZoneFileReader().read(text) == records)
    }

    @Test func errorsCarryTheLineNumber() {
        do {
            _ = try ZoneFileReader(origin: .root, defaultTTL: 1).read("a A 1.2.3.4\nb A 1.2.3\n")
            Issue.record("no error")
        } catch let e as DNSWireError {
            #expect(e.code == .badZoneFile)
            #expect(e.reason.hasPrefix("line 2:"))
        } catch {
            Issue.record("\(error)")
        }
        #expect(throws: DNSWireError(.badZoneFile, "")) { try ZoneFileReader().read("a 1 IN A 1.2.3.4\n") }
        #expect(throws: DNSWireError(.badZoneFile, "")) { try ZoneFileReader(origin: .root).read("a A 1.2.3.4\n") }
        #expect(throws: DNSWireError(.badZoneFile, "")) { try ZoneFileReader().read("$INCLUDE other\n") }
        #expect(throws: DNSWireError(.badZoneFile, "")) { try ZoneFileReader().read("a. 1 TXT \"open\n") }
    }

    /// ldns-read-zone re-prints our zone in its own style; we read that back to the same records.
    @Test(.enabled(if: PeerTool.isAvailable("ldns-read-zone")))
    func readsWhatLdnsWrites() throws {
        let records = try ZoneFileReader().read(Self.zoneText)
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("zone")
        try ZoneFileWriter.write(records).write(to: file, atomically: true, encoding: .utf8)
        let result = try PeerTool.run("ldns-read-zone", [file.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(try ZoneFileReader().read(result.stdout) == records)
    }

    /// named-checkzone -D (BIND's canonical dump) must parse back to the same records.
    @Test(.enabled(if: PeerTool.isAvailable("named-checkzone")))
    func readsWhatBindWrites() throws {
        let records = try ZoneFileReader().read(Self.zoneText)
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("zone")
        try ZoneFileWriter.write(records).write(to: file, atomically: true, encoding: .utf8)
        let result = try PeerTool.run("named-checkzone", ["-D", "-o", "-", "iotregistry.test", file.path])
        #expect(result.status == 0, "\(result.output)")
        let back = try ZoneFileReader().read(result.stdout)
        #expect(Set(back) == Set(records))
    }

    /// kdig prints answers in master-file form; we parse its answer section lines.
    @Test func parsesKdigStyleOutput() throws {
        let kdig = """
            ;; ANSWER SECTION:
            0123._device.iotregistry.test.\t300\tIN\tTLSA\t3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
            0123._device.iotregistry.test.\t300\tIN\tRRSIG\tTLSA 13 4 300 20261223000000 20261123000000 46690 iotregistry.test. AAECAwQFBgcICQ==
            """
        let records = try ZoneFileReader().read(kdig)
        #expect(records.count == 2)
        #expect(records[0].type == .tlsa && records[1].type == .rrsig)
    }
}
