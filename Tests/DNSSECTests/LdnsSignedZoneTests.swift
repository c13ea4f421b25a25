import DNSSEC
import DNSWire
import Foundation
import PeerTesting
import Testing

/// Our validator against a zone signed by someone else: ldns-signzone with keys from ldns-keygen.
@Suite struct LdnsSignedZoneTests {
    struct Peer {
        var records: [ResourceRecord]
        var anchor: TrustAnchor
    }

    static func signWithLdns(devices: Int) throws -> Peer {
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ksk = try PeerTool.run(
            "ldns-keygen", ["-a", "ECDSAP256SHA256", "-k", "iotregistry.test"], currentDirectory: dir)
        let zsk = try PeerTool.run("ldns-keygen", ["-a", "ECDSAP256SHA256", "iotregistry.test"], currentDirectory: dir)
        let kskBase = ksk.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let zskBase = zsk.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let zonePath = dir.appendingPathComponent("zone").path
        try ZoneFileWriter.write(TestZone.records(devices: devices)).write(
            toFile: zonePath, atomically: true, encoding: .utf8)
        let sign = try PeerTool.run("ldns-signzone", [zonePath, zskBase, kskBase], currentDirectory: dir)
        #expect(sign.status == 0, "\(sign.output)")
        let signed = try String(contentsOfFile: zonePath + ".signed", encoding: .utf8)
        let ds = try String(contentsOf: dir.appendingPathComponent(kskBase + ".ds"), encoding: .utf8)
        return Peer(
            records: try ZoneFileReader().read(signed),
            anchor: try #require(TrustAnchor.parse(ds).first))
    }

    @Test(.enabled(if: PeerTool.isAvailable("ldns-signzone") && PeerTool.isAvailable("ldns-keygen")))
    func validatesEveryRRSetOfAnLdnsSignedZone() throws {
        let peer = try Self.signWithLdns(devices: 30)
        let sets = SignedRRSet.group(peer.records)
        let keys = try #require(sets.first { $0.rrset.type == .dnskey })
        let validator = DNSSECValidator(trustAnchors: [peer.anchor])
        #expect(validator.validateKeys(keys) == .secure)
        var checked = 0
        for set in sets where set.rrset.type != .dnskey && !(set.rrset.type == .a && set.rrset.name.labelCount == 3) {
            #expect(validator.validate(set, keys: keys) == .secure, "\(set.rrset.name) \(set.rrset.type)")
            checked += 1
        }
        #expect(checked > 60)

        // NXDOMAIN proof from ldns' NSEC chain.
        let nsecs = sets.filter { $0.rrset.type == .nsec }
        let qname = try DNSName("1.\(TestZone.eid(555_555)).iotregistry.test.")
        #expect(validator.validateNameError(qname: qname, proof: nsecs, keys: keys) == .secure)

        // Negative fixtures: a tampered TLSA, and a trust anchor for another key.
        var tampered = try #require(sets.first { $0.rrset.type == .tlsa && $0.rrset.name.labelCount == 4 })
        tampered.rrset.ttl = 300
        tampered.rrset.rdatas[0] = .tlsa(
            TLSA(
                usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256,
                data: [UInt8](repeating: 1, count: 32)))
        #expect(validator.validate(tampered, keys: keys) != .secure)
        let wrong = DNSSECValidator(
            trustAnchors: [
                TrustAnchor(zone: TestZone.apex, kind: .ds(DNSSECKey(role: .keySigning).ds(owner: TestZone.apex)))
            ])
        #expect(wrong.validateKeys(keys) != .secure)
    }
}
