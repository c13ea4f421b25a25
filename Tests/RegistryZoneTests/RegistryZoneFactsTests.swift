import Crypto
import DNSSEC
import DNSWire
import Foundation
import PKI
import RegistryCore
import RegistryStoreSQLite
import RegistryTesting
import RegistryZone
import SwiftASN1
import Testing
import X509

/// The zone follows the real registry: lifecycle and certificates in SQLite, events through the outbox.
@Suite("Zone follows the registry store")
struct RegistryZoneFactsTests {
    struct World {
        let registry: Registry
        let store: SQLiteRegistryStore
        let publisher: ZonePublisher
        let asp: Principal
        let gainingASP: Principal
        let owner: Principal
        let mno: Principal
        let ownerID: String
        let mnoID: String
    }

    func world() async throws -> World {
        let pki = try TestCertificates.pki(validity: 365 * 86_400, grace: 30 * 86_400)
        let store = try SQLiteRegistryStore(path: ":memory:")
        try await store.migrate()
        let registry = Registry(store: store, pki: pki)
        _ = try await registry.bootstrapOperator()
        let op = Principal.registryOperator
        let a = try await registry.createASP(NewASP(name: "ParkoServ", fqdn: "iot.parkoserv.ca", port: 8883), by: op)
        let b = try await registry.createASP(
            NewASP(name: "CarParkServ", fqdn: "iot.carparkserv.ca", port: 8883), by: op)
        let owner = try await registry.createTenant(kind: .owner, name: "City", by: op)
        let mno = try await registry.createTenant(kind: .mno, name: "Telco", by: op)
        let root = try ZoneFixtures.der(pki.hierarchy.root.certificate)
        let issuing = try pki.hierarchy.issuing.values.map { try ZoneFixtures.der($0.certificate) }
        let facts = RegistryZoneFacts(store: store, caCertificates: { (root, issuing) })
        let publisher = ZonePublisher(
            records: ZoneRecords(configuration: try ZoneConfiguration(apex: try DNSName(ZoneFixtures.apex))),
            facts: facts, keys: ZoneKeys.generate())
        try await publisher.rebuild()
        return World(
            registry: registry, store: store, publisher: publisher, asp: .asp(a.id), gainingASP: .asp(b.id),
            owner: .owner(owner.id), mno: .mno(mno.id), ownerID: owner.id, mnoID: mno.id)
    }

    func csr() throws -> [UInt8] { try TestCertificates.csr() }

    func iccid(_ n: Int) -> String {
        try! ICCID.withCheckDigit(body: "898812345678" + String(format: "%07d", n)).digits
    }

    func identityName(_ eid: String) -> DNSName { try! DNSName("\(eid)._device.iotregistry.test.") }

    @discardableResult
    func activeCertifiedDevice(_ w: World, _ n: Int) async throws -> (eid: String, record: CertificateRecord) {
        let eid = ZoneFixtures.eid(n)
        try await w.registry.registerDevice(
            NewDevice(eid: eid, iccid: iccid(n), owner: w.ownerID, mno: w.mnoID), by: w.asp)
        try await w.registry.apply(.activate, to: eid, by: w.asp)
        return (eid, try await w.registry.submitCSR(eid, csr: try csr(), by: w.mno))
    }

    @Test("activation alone publishes nothing; the certificate publishes TLSA whose digest is the record's SPKI hash")
    func certificatePublishes() async throws {
        let w = try await world()
        let eid = ZoneFixtures.eid(1)
        try await w.registry.registerDevice(
            NewDevice(eid: eid, iccid: iccid(1), owner: w.ownerID, mno: w.mnoID), by: w.asp)
        try await w.registry.apply(.activate, to: eid, by: w.asp)
        try await w.publisher.catchUp()
        #expect(await w.publisher.zone?.rrsets(at: identityName(eid)).isEmpty == true)

        let record = try await w.registry.submitCSR(eid, csr: try csr(), by: w.mno)
        try await w.publisher.catchUp()
        let zone = try #require(await w.publisher.zone)
        let tlsa = try #require(zone.rrset(identityName(eid), .tlsa))
        guard case .tlsa(let t) = try #require(tlsa.rrset.rdatas.first) else { return }
        #expect(t.data.map { String(format: "%02x", $0) }.joined() == record.spkiSHA256)
        let cert = try #require(zone.rrset(try DNSName("\(record.rpid).\(eid).iotregistry.test."), .cert))
        guard case .cert(let c) = try #require(cert.rrset.rdatas.first) else { return }
        #expect(c.certificate == record.der)
        #expect(try await w.publisher.checkConsistency().isConsistent)
    }

    @Test("deactivation revokes the certificate and the names disappear")
    func deactivationWithdraws() async throws {
        let w = try await world()
        let (eid, record) = try await activeCertifiedDevice(w, 2)
        try await activeCertifiedDevice(w, 3)
        try await w.publisher.catchUp()
        try await w.registry.apply(.deactivate, to: eid, by: w.asp)
        try await w.publisher.catchUp()
        let zone = try #require(await w.publisher.zone)
        #expect(zone.rrsets(at: identityName(eid)).isEmpty)
        #expect(zone.rrsets(at: try DNSName("\(record.rpid).\(eid).iotregistry.test.")).isEmpty)
        #expect(zone.rrset(identityName(ZoneFixtures.eid(3)), .tlsa) != nil)
        #expect(try await w.publisher.checkConsistency().isConsistent)
    }

    @Test("a completed transfer replaces the old profile's names with the new profile's, same eSIM key")
    func transferReplacesProfile() async throws {
        let w = try await world()
        let (eid, old) = try await activeCertifiedDevice(w, 4)
        try await w.publisher.catchUp()
        let identityBefore = try #require(await w.publisher.zone).rrset(identityName(eid), .tlsa)
        let code = try await w.registry.issueTransferCode(for: [eid], by: w.owner)
        try await w.registry.requestTransfer(eid, authCode: code.code, by: w.gainingASP)
        try await w.publisher.catchUp()
        // The transfer re-certified the eSIM's key under the new profile in the same transaction.
        let new = try #require(try await w.store.currentCertificate(eid: EID(eid)))
        #expect(new.rpid > old.rpid && new.serial != old.serial)
        var zone = try #require(await w.publisher.zone)
        #expect(zone.rrsets(at: try DNSName("\(old.rpid).\(eid).iotregistry.test.")).isEmpty, "old profile gone")
        #expect(zone.rrset(try DNSName("\(new.rpid).\(eid).iotregistry.test."), .cert) != nil)
        #expect(zone.rrset(identityName(eid), .tlsa)?.rrset == identityBefore?.rrset, "same key, same TLSA")
        // A later CSR (re-key) replaces both names again.
        let rekeyed = try await w.registry.submitCSR(eid, csr: try csr(), by: w.mno)
        try await w.publisher.catchUp()
        zone = try #require(await w.publisher.zone)
        #expect(zone.rrset(identityName(eid), .tlsa)?.rrset != identityBefore?.rrset)
        #expect(zone.rrset(try DNSName("\(rekeyed.rpid).\(eid).iotregistry.test."), .cert) != nil)
        #expect(try await w.publisher.checkConsistency().isConsistent)
    }

    @Test("pages of published identities skip unpublished devices and together hold every published one once")
    func identityPagesCoverEveryPublishedDevice() async throws {
        let w = try await world()
        // 12 published; every third device registered only, so a page of devices holds fewer identities.
        var published: [String] = []
        for n in 30..<48 {
            if n % 3 == 0 {
                try await w.registry.registerDevice(
                    NewDevice(eid: ZoneFixtures.eid(n), iccid: iccid(n), owner: w.ownerID, mno: w.mnoID), by: w.asp)
            } else {
                published.append(try await activeCertifiedDevice(w, n).eid)
            }
        }
        let facts = RegistryZoneFacts(store: w.store, caCertificates: { ([], []) })
        var seen: [String] = []
        var cursor: String?
        while true {
            let page = try await facts.identities(after: cursor, limit: 5)
            #expect(page.count <= 5)
            seen += page.map(\.eid)
            guard let last = page.last, page.count == 5 else { break }
            cursor = last.eid
        }
        #expect(seen == published.sorted())
    }

    @Test("a rebuild from the database gives the same records as following the events")
    func rebuildEqualsFollowing() async throws {
        let w = try await world()
        for n in 10..<20 { try await activeCertifiedDevice(w, n) }
        try await w.registry.apply(.deactivate, to: ZoneFixtures.eid(12), by: w.asp)
        try await w.publisher.catchUp()
        let followed = try #require(await w.publisher.zone).records.filter { ![.rrsig, .nsec, .soa].contains($0.type) }
        let rebuilt = try await w.publisher.rebuild().records.filter { ![.rrsig, .nsec, .soa].contains($0.type) }
        #expect(Set(followed) == Set(rebuilt))
        #expect(rebuilt.filter { $0.type == .tlsa && $0.name.description.contains("._device.") }.count == 9 + 1)
    }
}
