import Crypto
import DNSWire
import Foundation
import PKI
import PeerTesting
import RegistryZone
import Testing

@Suite("Zone records derived from certificates")
struct ZoneRecordsTests {
    let records = ZoneRecords(configuration: try! ZoneConfiguration(apex: try! DNSName(ZoneFixtures.apex)))

    @Test("a device publishes TLSA 3 1 1 at <eid>._device.Z and CERT PKIX at <rpid>.<eid>.Z from one certificate")
    func deviceRecords() throws {
        let ca = try #require(try ZoneFixtures.hierarchy().issuing["default"])
        let eid = ZoneFixtures.eid(1)
        let der = try ZoneFixtures.deviceCertificate(ca, eid: eid, rpid: 11)
        let out = try records.records(for: PublishedIdentity(eid: eid, rpid: 11, certificate: der))
        #expect(out.count == 2)
        #expect(out[0].name == (try DNSName("\(eid)._device.iotregistry.test.")))
        #expect(out[1].name == (try DNSName("11.\(eid).iotregistry.test.")))
        #expect(out.allSatisfy { $0.ttl == 300 })
        guard case .tlsa(let tlsa) = out[0].rdata, case .cert(let cert) = out[1].rdata else {
            Issue.record("expected TLSA then CERT, got \(out)")
            return
        }
        #expect(tlsa.usage == .daneEE && tlsa.selector == .subjectPublicKeyInfo && tlsa.matchingType == .sha256)
        #expect(cert.certificateType == .pkix && cert.keyTag == 0 && cert.algorithm.rawValue == 0)
        #expect(cert.certificate == der)
    }

    @Test(
        "the TLSA digest is what openssl computes over the certificate's public key",
        .enabled(if: PeerTool.isAvailable("openssl")))
    func digestMatchesOpenSSL() throws {
        let ca = try #require(try ZoneFixtures.hierarchy().issuing["default"])
        let eid = ZoneFixtures.eid(2)
        let der = try ZoneFixtures.deviceCertificate(ca, eid: eid, rpid: 12)
        let dir = try PeerTool.temporaryDirectory()
        let certPath = dir.appendingPathComponent("device.der").path
        try Data(der).write(to: URL(fileURLWithPath: certPath))
        let digest = try PeerTool.run(
            "sh",
            [
                "-c",
                "openssl x509 -inform DER -in \(certPath) -noout -pubkey | openssl pkey -pubin -outform DER"
                    + " | openssl dgst -sha256 -r",
            ])
        let expected = String(digest.stdout.prefix(64))
        let out = try records.records(for: PublishedIdentity(eid: eid, rpid: 12, certificate: der))
        guard case .tlsa(let tlsa) = out[0].rdata else {
            Issue.record("no TLSA")
            return
        }
        #expect(tlsa.data.map { String(format: "%02x", $0) }.joined() == expected, "\(digest.output)")
    }

    @Test("a certificate that is not DER is refused with the device named")
    func badCertificate() throws {
        #expect {
            try records.records(
                for: PublishedIdentity(eid: ZoneFixtures.eid(3), rpid: 1, certificate: [0x30, 0x03, 1]))
        } throws: { error in
            (error as? RegistryZoneError)?.code == .badCertificate
                && "\(error)".contains(ZoneFixtures.eid(3))
        }
    }

    @Test("the apex holds SOA, NS with glue, the CAs as TLSA 0 0 0, and _ca._device holds TLSA 2 0 1")
    func apexRecords() throws {
        let h = try ZoneFixtures.hierarchy()
        let root = try ZoneFixtures.der(h.root.certificate)
        let issuing = try ZoneFixtures.der(try #require(h.issuing["default"]).certificate)
        let out = records.apexRecords(serial: 7, rootCertificate: root, issuingCertificates: [issuing])
        let apex = try DNSName(ZoneFixtures.apex)
        #expect(out.contains { $0.type == .soa && $0.name == apex })
        #expect(out.contains { $0.type == .ns && $0.name == apex })
        #expect(out.contains { $0.type == .a && $0.name == (try! DNSName("ns1.iotregistry.test.")) })
        let apexTLSA = out.compactMap { r -> TLSA? in
            guard r.name == apex, case .tlsa(let t) = r.rdata else { return nil }
            return t
        }
        #expect(apexTLSA.map(\.data) == [root, issuing])
        #expect(
            apexTLSA.allSatisfy { $0.usage == .pkixTA && $0.selector == .fullCertificate && $0.matchingType == .full })
        let ta = out.filter { $0.name == (try! DNSName("_ca._device.iotregistry.test.")) }
        guard ta.count == 1, case .tlsa(let t) = ta[0].rdata else {
            Issue.record("expected one DANE-TA record, got \(ta)")
            return
        }
        #expect(t.usage == .daneTA && t.data == Array(SHA256.hash(data: issuing)))
        guard case .soa(let soa) = out[0].rdata else { return }
        #expect(soa.minimum == 300 && out[0].ttl == 300, "negative answers must expire within the revocation bound")
    }

    @Test("an ASP host inside the zone gets _<port>._tcp TLSA; one outside gets nothing")
    func serviceRecords() throws {
        let h = try ZoneFixtures.hierarchy()
        let der = try ZoneFixtures.der(h.root.certificate)
        let inside = try records.records(
            for: PublishedService(fqdn: "parkoserv.iotregistry.test", port: 8883, certificate: der))
        #expect(inside.map(\.name) == [try DNSName("_8883._tcp.parkoserv.iotregistry.test.")])
        let outside = try records.records(
            for: PublishedService(fqdn: "iot.parkoserv.example", port: 443, certificate: der))
        #expect(outside.isEmpty)
    }
}
