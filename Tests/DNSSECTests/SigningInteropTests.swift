import DNSSEC
import DNSWire
import Foundation
import PeerTesting
import Testing

/// Signed zones checked by real validators: ldns-verify-zone, BIND dnssec-verify, Knot kzonecheck, dnspython.
@Suite struct SigningInteropTests {
    static func write(_ zone: SignedZone, _ dir: URL, _ name: String = "zone.signed") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try zone.masterFile().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func verify(_ zone: SignedZone, _ dir: URL, label: String) throws {
        let path = try write(zone, dir, "\(label).signed")
        // ldns-verify-zone checks signatures at the current time: pass -t/-e via the inception window instead.
        let ldns = try PeerTool.run("ldns-verify-zone", ["-V", "2", path])
        #expect(ldns.status == 0, "ldns-verify-zone (\(label)): \(ldns.output)")
        let bind = try PeerTool.run("dnssec-verify", ["-o", "iotregistry.test", path])
        #expect(bind.status == 0, "dnssec-verify (\(label)): \(bind.output)")
    }

    @Test(.enabled(if: PeerTool.isAvailable("ldns-verify-zone") && PeerTool.isAvailable("dnssec-verify")))
    func fullAndIncrementalZonesVerify() throws {
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var zone = try SignedZone(apex: TestZone.apex, records: TestZone.records(devices: 300), keys: .generate())
        try Self.verify(zone, dir, label: "full")

        // Revoke device 5 (remove both names), add device 1000, re-key device 7 (new profile id).
        let diff = try zone.apply(
            ZoneChange(
                removedNames: TestZone.deviceRecords(5).map(\.name),
                additions: TestZone.deviceRecords(1000)))
        #expect(diff.newSerial == diff.oldSerial + 1)
        #expect(diff.removed.first?.type == .soa && diff.added.first?.type == .soa)
        let old7 = TestZone.deviceRecords(7)
        let new7 = TestZone.deviceRecords(7, rpid: 9999)
        _ = try zone.apply(ZoneChange(removals: [old7[1]], additions: [new7[1]]))
        try Self.verify(zone, dir, label: "incremental")

        // ZSK pre-publish rollover, then activation.
        let newZSK = DNSSECKey(role: .zoneSigning)
        var keys = zone.keys
        keys.publishedOnly = [newZSK]
        _ = try zone.replaceKeys(keys)
        try Self.verify(zone, dir, label: "prepublished")
        keys.publishedOnly = [keys.zoneSigningKey]
        keys.zoneSigningKey = newZSK
        _ = try zone.replaceKeys(keys)
        try Self.verify(zone, dir, label: "rolled")
    }

    @Test(.enabled(if: PeerTool.isAvailable("kzonecheck")))
    func knotAcceptsTheZone() throws {
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zone = try SignedZone(apex: TestZone.apex, records: TestZone.records(devices: 50), keys: .generate())
        let path = try Self.write(zone, dir)
        let r = try PeerTool.run("kzonecheck", ["-o", "iotregistry.test.", "-d", "on", path])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["dns.dnssec"])))
    func dnspythonValidatesOurRRSIG() throws {
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zone = try SignedZone(apex: TestZone.apex, records: TestZone.records(devices: 10), keys: .generate())
        let owner = TestZone.deviceRecords(3)[0].name
        let text =
            ZoneFileWriter.write(try #require(zone.rrset(TestZone.apex, .dnskey)).records)
            + ZoneFileWriter.write(try #require(zone.rrset(owner, .tlsa)).records)
        let script = """
            import sys, dns.zone, dns.dnssec, dns.rdatatype, dns.name
            apex = dns.name.from_text('iotregistry.test.')
            zone = dns.zone.from_text(open(sys.argv[1]).read(), origin=apex, relativize=False, check_origin=False)
            keys = {apex: zone.find_rdataset(apex, 'DNSKEY')}
            for name, node in zone.nodes.items():
                for rds in node.rdatasets:
                    if rds.rdtype == dns.rdatatype.RRSIG:
                        data = node.find_rdataset(rds.rdclass, rds.covers)
                        dns.dnssec.validate((name, data), (name, rds), keys)
                        print('validated', name, dns.rdatatype.to_text(rds.covers))
            """
        try script.write(to: dir.appendingPathComponent("v.py"), atomically: true, encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("rr.txt"), atomically: true, encoding: .utf8)
        let r = try PeerTool.run(
            "python3", [dir.appendingPathComponent("v.py").path, dir.appendingPathComponent("rr.txt").path])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("validated \(owner) TLSA"))
        #expect(r.stdout.contains("validated iotregistry.test. DNSKEY"))
    }
}
