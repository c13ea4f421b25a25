import DNSSEC
import DNSWire
import Foundation
import PKI
import PeerTesting
import RegistryZone
import Testing

@Suite("Zone publisher follows the registry")
struct ZonePublisherTests {
    struct World {
        let facts: InMemoryZoneFacts
        let publisher: ZonePublisher
        let sink: RecordingSink
        let ca: CertificateAuthority
        let keys: ZoneKeys
    }

    func world(devices: Int = 3, ledger: (any ZoneSerialLedger)? = nil, keys: ZoneKeys = .generate()) async throws
        -> World
    {
        let h = try ZoneFixtures.hierarchy()
        let ca = try #require(h.issuing["default"])
        let facts = InMemoryZoneFacts(
            root: try ZoneFixtures.der(h.root.certificate), issuing: [try ZoneFixtures.der(ca.certificate)])
        for i in 0..<devices {
            let eid = ZoneFixtures.eid(i)
            let der = try ZoneFixtures.deviceCertificate(ca, eid: eid, rpid: Int64(11 + i))
            await facts.set(eid, PublishedIdentity(eid: eid, rpid: Int64(11 + i), certificate: der), event: false)
        }
        let sink = RecordingSink()
        let publisher = ZonePublisher(
            records: ZoneRecords(configuration: try ZoneConfiguration(apex: try DNSName(ZoneFixtures.apex))),
            facts: facts, keys: keys, ledger: ledger, sink: sink)
        return World(facts: facts, publisher: publisher, sink: sink, ca: ca, keys: keys)
    }

    func name(_ text: String) -> DNSName { try! DNSName(text) }

    @Test("a rebuild publishes every device and matches the database")
    func rebuild() async throws {
        let w = try await world()
        let zone = try await w.publisher.rebuild()
        for i in 0..<3 {
            #expect(zone.rrset(name("\(ZoneFixtures.eid(i))._device.iotregistry.test."), .tlsa) != nil)
            #expect(zone.rrset(name("\(11 + i).\(ZoneFixtures.eid(i)).iotregistry.test."), .cert) != nil)
        }
        #expect(try await w.publisher.checkConsistency().isConsistent)
        let published = await w.sink.published
        #expect(published.count == 1 && published[0].diff == nil)
    }

    @Test("a rebuild read in many pages, each signed while the next is read, holds every device once")
    func rebuildInPages() async throws {
        let w = try await world(devices: 23)
        await w.publisher.setPageSize(4)
        let zone = try await w.publisher.rebuild()
        for i in 0..<23 {
            #expect(zone.rrset(name("\(ZoneFixtures.eid(i))._device.iotregistry.test."), .tlsa) != nil)
            #expect(zone.rrset(name("\(11 + i).\(ZoneFixtures.eid(i)).iotregistry.test."), .cert) != nil)
        }
        #expect(try await w.publisher.checkConsistency().isConsistent)
        // The same zone as read in one page: nothing twice, nothing missing.
        await w.publisher.setPageSize(1000)
        let onePage = try await w.publisher.rebuild()
        let content = { (z: SignedZone) in Set(z.records.filter { ![.rrsig, .soa].contains($0.type) }) }
        #expect(zone.nameCount == onePage.nameCount)
        #expect(content(zone) == content(onePage))
    }

    @Test("deactivation removes both names; the NSEC chain then proves the TLSA name does not exist")
    func deactivationRemovesNames() async throws {
        let w = try await world()
        try await w.publisher.rebuild()
        let eid = ZoneFixtures.eid(1)
        await w.facts.set(eid, nil)
        let diffs = try await w.publisher.catchUp()
        #expect(diffs.count == 1)
        let zone = try #require(await w.publisher.zone)
        let identity = name("\(eid)._device.iotregistry.test.")
        #expect(zone.rrsets(at: identity).isEmpty)
        #expect(zone.rrsets(at: name("12.\(eid).iotregistry.test.")).isEmpty)
        // RFC 4035 §3.1.3.2: the name and the wildcard at its closest encloser are both proven absent.
        let proof = try #require(zone.nsec(covering: identity))
        let wildcard = try #require(zone.nsec(covering: name("*._device.iotregistry.test.")))
        let validator = DNSSECValidator(trustAnchors: [try TrustAnchor(record: zone.dsRecord)])
        let keys = try #require(zone.rrset(zone.apex, .dnskey))
        let result = validator.validateNameError(qname: identity, proof: Array(Set([proof, wildcard])), keys: keys)
        #expect(result.isSecure, "\(result)")
        #expect(try await w.publisher.checkConsistency().isConsistent)
    }

    @Test("a transfer replaces the certificate and profile: new CERT name, old one gone, TLSA follows the new key")
    func transferMovesProfile() async throws {
        let w = try await world()
        try await w.publisher.rebuild()
        let eid = ZoneFixtures.eid(0)
        let der = try ZoneFixtures.deviceCertificate(w.ca, eid: eid, rpid: 16)
        let before = try #require(await w.publisher.zone?.rrset(name("\(eid)._device.iotregistry.test."), .tlsa))
        await w.facts.set(eid, PublishedIdentity(eid: eid, rpid: 16, certificate: der))
        try await w.publisher.catchUp()
        let zone = try #require(await w.publisher.zone)
        #expect(zone.rrsets(at: name("11.\(eid).iotregistry.test.")).isEmpty)
        #expect(zone.rrset(name("16.\(eid).iotregistry.test."), .cert) != nil)
        let after = try #require(zone.rrset(name("\(eid)._device.iotregistry.test."), .tlsa))
        #expect(after.rrset.rdatas != before.rrset.rdatas && after.rrset.rdatas.count == 1)
        #expect(try await w.publisher.checkConsistency().isConsistent)
    }

    @Test("events processed twice, or for devices that did not change, publish nothing")
    func idempotent() async throws {
        let w = try await world()
        let zone = try await w.publisher.rebuild()
        let again = try await w.publisher.apply(devices: [ZoneFixtures.eid(0), ZoneFixtures.eid(1)])
        #expect(again == nil)
        #expect(await w.publisher.zone?.serial == zone.serial)
    }

    @Test("a batch of many changes is one signed step: one serial bump, one diff for IXFR")
    func batchIsOneStep() async throws {
        let w = try await world(devices: 50)
        let zone = try await w.publisher.rebuild()
        for i in 0..<50 { await w.facts.set(ZoneFixtures.eid(i), nil) }
        let diffs = try await w.publisher.catchUp()
        #expect(diffs.count == 1)
        #expect(diffs.first?.newSerial == zone.serial &+ 1)
        #expect(await w.publisher.zone?.nameCount ?? 0 < zone.nameCount - 99)
    }

    @Test("the consistency check finds a device the zone has not caught up with")
    func consistencyFindsDrift() async throws {
        let w = try await world()
        try await w.publisher.rebuild()
        await w.facts.set(ZoneFixtures.eid(2), nil, event: false)
        let report = try await w.publisher.checkConsistency()
        #expect(report.unexpected.count == 2 && report.missing.isEmpty, "\(report)")
        #expect(report.description.contains(ZoneFixtures.eid(2)))
    }

    @Test("an outbox event the zone has not applied yet is lag, not drift: the check catches up instead of reporting")
    func consistencyTellsLagFromDrift() async throws {
        let w = try await world()
        let zone = try await w.publisher.rebuild()
        await w.facts.set(ZoneFixtures.eid(2), nil)
        let report = try await w.publisher.checkConsistency()
        #expect(report.isConsistent, "\(report)")
        #expect(await w.publisher.zone?.serial == zone.serial &+ 1, "the check applied the pending event")
        await w.facts.set(ZoneFixtures.eid(1), nil, event: false)
        #expect(try await w.publisher.checkConsistency().unexpected.count == 2, "real drift is still reported")
    }

    @Test("the serial only moves forward across rebuilds, even within the same second")
    func serialMovesForward() async throws {
        let dir = try PeerTool.temporaryDirectory()
        let file = ZoneSerialFile(url: dir.appendingPathComponent("zone.serial"))
        let w = try await world(ledger: file)
        let now = Date()
        let first = try await w.publisher.rebuild(now: now).serial
        await w.facts.set(ZoneFixtures.eid(0), nil)
        try await w.publisher.catchUp(now: now)
        let second = try await w.publisher.rebuild(now: now).serial
        #expect(second == first &+ 2)
        #expect(try file.read() == second)
    }

    /// A shared ledger, as the database is for nodes over one PostgreSQL.
    actor SharedLedger: ZoneSerialLedger {
        var serial: UInt32?
        var position: Int64 = 0
        func nextSerial(now: Date) -> UInt32 { Self.serial(after: serial, now: now) }
        func recordPublished(serial: UInt32, position: Int64) {
            self.serial = serial
            self.position = position
        }
    }

    @Test("a warm standby over the same ledger takes over with a later serial and one SOA signature")
    func takeoverMovesSerialForward() async throws {
        let ledger = SharedLedger()
        let first = try await world(ledger: ledger)
        let now = Date()
        try await first.publisher.catchUp(now: now)

        // The standby (same keys, same ledger) follows the same database but records and publishes nothing.
        let second = try await world(ledger: ledger, keys: first.keys)
        await second.publisher.standBy()
        try await second.publisher.catchUp(now: now)
        for i in 0..<2 {
            await first.facts.set(ZoneFixtures.eid(i), nil)
            await second.facts.set(ZoneFixtures.eid(i), nil)
            try await first.publisher.catchUp(now: now)
            try await second.publisher.catchUp(now: now)
        }
        let lastOfFirst = try #require(await first.publisher.zone?.serial)
        #expect(await ledger.serial == lastOfFirst)
        #expect(await ledger.position == first.publisher.position)
        #expect(await second.sink.published.isEmpty)
        let warm = try #require(await second.publisher.zone)

        // The signer dies (it stands by); the standby takes over in the same second, after every serial published.
        await first.publisher.standBy()
        let published = await first.sink.published.count
        let taken = try await second.publisher.takeOver(now: now)
        #expect(taken.serial == lastOfFirst &+ 1)
        #expect(await ledger.serial == taken.serial)
        #expect(
            taken.records.filter { $0.type != .rrsig && $0.type != .soa }
                == warm.records.filter {
                    $0.type != .rrsig && $0.type != .soa
                })
        #expect(taken.rrset(warm.apex, .soa)?.signatures != warm.rrset(warm.apex, .soa)?.signatures)
        // The one that stood down publishes no more.
        await first.facts.set(ZoneFixtures.eid(2), nil)
        try await first.publisher.catchUp(now: now)
        #expect(await first.sink.published.count == published)
        #expect(await ledger.serial == taken.serial)
    }

    @Test(
        "the signed zone passes ldns-verify-zone and dnssec-verify after changes",
        .enabled(if: PeerTool.isAvailable("ldns-verify-zone") && PeerTool.isAvailable("dnssec-verify")))
    func peersAcceptZone() async throws {
        let w = try await world(devices: 20)
        try await w.publisher.rebuild()
        for i in 0..<5 { await w.facts.set(ZoneFixtures.eid(i), nil) }
        let eid = ZoneFixtures.eid(7)
        let der = try ZoneFixtures.deviceCertificate(w.ca, eid: eid, rpid: 99)
        await w.facts.set(eid, PublishedIdentity(eid: eid, rpid: 99, certificate: der))
        try await w.publisher.catchUp()
        let zone = try #require(await w.publisher.zone)
        let dir = try PeerTool.temporaryDirectory()
        let path = dir.appendingPathComponent("zone.db").path
        try zone.masterFile().write(toFile: path, atomically: true, encoding: .utf8)
        let ldns = try PeerTool.run("ldns-verify-zone", [path])
        #expect(ldns.status == 0, "\(ldns.output)")
        let bind = try PeerTool.run("dnssec-verify", ["-o", ZoneFixtures.apex, path])
        #expect(bind.status == 0, "\(bind.output)")
    }
}
