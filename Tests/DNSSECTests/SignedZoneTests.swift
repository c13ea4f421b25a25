import DNSSEC
import DNSWire
import Foundation
import Testing

@Suite struct SignedZoneTests {
    static func make(devices: Int = 20) throws -> SignedZone {
        try SignedZone(
            apex: TestZone.apex, records: TestZone.records(devices: devices), keys: .generate(), now: TestZone.now)
    }

    static func unsignedContent(_ zone: SignedZone) -> Set<String> {
        Set(zone.records.filter { $0.type != .rrsig && $0.type != .soa }.map(\.description))
    }

    @Test func fullSigningProducesChainAndSignatures() throws {
        let zone = try Self.make()
        let records = zone.records
        // Every authoritative RRset has exactly one RRSIG; every name has one NSEC.
        let sets = SignedRRSet.group(records)
        #expect(sets.allSatisfy { $0.signatures.count == 1 })
        #expect(sets.filter { $0.rrset.type == .nsec }.count == zone.nameCount)
        #expect(zone.nameCount == 3 + 2 * 20)  // apex, ns1, wildcard, two names per device
        // NSEC TTL = min(SOA MINIMUM 300, SOA TTL 3600) (RFC 9077).
        #expect(sets.first { $0.rrset.type == .nsec }?.rrset.ttl == 300)
        // The DNSKEY set is signed by the KSK, the rest by the ZSK.
        let dnskey = try #require(zone.rrset(TestZone.apex, .dnskey))
        #expect(dnskey.signatures[0].keyTag == zone.keys.keySigningKey.keyTag)
        #expect(zone.rrset(TestZone.apex, .soa)?.signatures[0].keyTag == zone.keys.zoneSigningKey.keyTag)
        // Wildcard RRSIG labels exclude the '*' label.
        let wild = try #require(zone.rrset(try DNSName("*._device.iotregistry.test."), .tlsa))
        #expect(wild.signatures[0].labels == 3)
        // Inception is backdated by the policy offset.
        #expect(wild.signatures[0].inception == UInt32(TestZone.now.timeIntervalSince1970) - 3600)
        // The apex NSEC lists the apex types.
        guard case .nsec(let apexNSEC) = zone.rrset(TestZone.apex, .nsec)?.rrset.rdatas[0] else {
            Issue.record("no apex NSEC")
            return
        }
        #expect(apexNSEC.types.types == [.ns, .soa, .rrsig, .nsec, .dnskey, .tlsa].sorted())
    }

    @Test func incrementalChangeMatchesFullResign() throws {
        var zone = try Self.make()
        let serial = zone.serial
        let diff = try zone.apply(
            ZoneChange(removedNames: TestZone.deviceRecords(4).map(\.name), additions: TestZone.deviceRecords(500)),
            now: TestZone.now)
        #expect(diff.oldSerial == serial && diff.newSerial == serial + 1 && zone.serial == serial + 1)
        var expected = TestZone.records(devices: 20).filter { r in !TestZone.deviceRecords(4).contains(r) }
        expected += TestZone.deviceRecords(500)
        let fresh = try SignedZone(apex: TestZone.apex, records: expected, keys: zone.keys, now: TestZone.now)
        #expect(Self.unsignedContent(zone) == Self.unsignedContent(fresh))
        // The diff holds exactly the data changes plus the RRSIG/NSEC/SOA bookkeeping.
        #expect(diff.removed.first?.type == .soa && diff.added.first?.type == .soa)
        #expect(Set(diff.removed.filter { $0.type == .tlsa || $0.type == .cert }) == Set(TestZone.deviceRecords(4)))
        #expect(Set(diff.added.filter { $0.type == .tlsa || $0.type == .cert }) == Set(TestZone.deviceRecords(500)))
        // Small: a handful of records, not the zone.
        #expect(diff.added.count < 20 && diff.removed.count < 20)
        let sets = SignedRRSet.group(zone.records)
        #expect(sets.allSatisfy { $0.signatures.count == 1 })
    }

    /// IXFR correctness: old zone minus `removed` plus `added` is exactly the new zone, for a change, a refresh
    /// and a key rollover step.
    @Test func diffTurnsTheOldZoneIntoTheNewOne() throws {
        var zone = try Self.make()
        func check(_ step: (inout SignedZone) throws -> ZoneDiff) throws {
            let before = Set(zone.records)
            let diff = try step(&zone)
            #expect(Set(diff.removed).isSubset(of: before))
            #expect(before.subtracting(diff.removed).union(diff.added) == Set(zone.records))
            #expect(Set(diff.added).isDisjoint(with: before))
        }
        try check {
            try $0.apply(
                ZoneChange(
                    removals: [TestZone.deviceRecords(2)[0]], removedNames: [TestZone.deviceRecords(3)[1].name],
                    additions: TestZone.deviceRecords(600) + TestZone.deviceRecords(601)), now: TestZone.now)
        }
        try check { try $0.refresh(now: TestZone.now.addingTimeInterval(10 * 86400)) }
        var keys = zone.keys
        keys.publishedOnly = [DNSSECKey(role: .zoneSigning)]
        try check { try $0.replaceKeys(keys, now: TestZone.now) }
    }

    @Test func signedZoneTextReadsBack() throws {
        let zone = try Self.make(devices: 5)
        #expect(try ZoneFileReader().read(zone.masterFile()) == zone.records)
    }

    @Test func noOpChangeKeepsTheSerial() throws {
        var zone = try Self.make()
        let serial = zone.serial
        let diff = try zone.apply(ZoneChange(additions: TestZone.deviceRecords(1)), now: TestZone.now)
        #expect(diff.isEmpty && zone.serial == serial)
    }

    @Test func managedTypesAndDelegationsAreRefused() throws {
        var zone = try Self.make()
        let before = zone.records
        let rrsig = try #require(zone.rrset(TestZone.apex, .soa)?.signatures.first)
        #expect(throws: DNSSECError(.managedType, "")) {
            try zone.apply(ZoneChange(additions: [ResourceRecord(name: TestZone.apex, ttl: 1, rdata: .rrsig(rrsig))]))
        }
        #expect(throws: DNSSECError(.unsupportedChange, "")) {
            try zone.apply(
                ZoneChange(additions: [
                    ResourceRecord(
                        name: try DNSName("sub.iotregistry.test."), ttl: 1, rdata: .ns(NS(host: TestZone.apex)))
                ]))
        }
        #expect(throws: DNSSECError(.outOfZone, "")) {
            try zone.apply(
                ZoneChange(additions: [
                    ResourceRecord(name: try DNSName("x.other."), ttl: 1, rdata: .ns(NS(host: .root)))
                ]))
        }
        #expect(zone.records == before)
    }

    @Test func refreshResignsOnlyWhatIsDue() throws {
        var zone = try Self.make()
        #expect(try zone.refresh(now: TestZone.now).isEmpty)
        let later = TestZone.now.addingTimeInterval(10 * 86400)  // 4 days before expiry: inside the 5-day window
        let diff = try zone.refresh(now: later)
        #expect(!diff.isEmpty && diff.newSerial == diff.oldSerial + 1)
        #expect(
            SignedRRSet.group(zone.records).allSatisfy {
                $0.signatures[0].expiration == UInt32(later.timeIntervalSince1970) + 14 * 86400
            })
        #expect(try zone.refresh(now: later).isEmpty)
    }

    @Test func signingIsRefusedWithoutApexSOA() {
        let records = TestZone.records(devices: 1).filter { $0.type != .soa }
        #expect(throws: DNSSECError(.missingRecord, "")) {
            try SignedZone(apex: TestZone.apex, records: records, keys: .generate())
        }
    }

    @Test func delegationIsSignedAsACut() throws {
        var records = TestZone.records(devices: 2)
        let sub = try DNSName("sub.iotregistry.test.")
        let glue = try DNSName("ns.sub.iotregistry.test.")
        records.append(ResourceRecord(name: sub, ttl: 300, rdata: .ns(NS(host: glue))))
        records.append(ResourceRecord(name: glue, ttl: 300, rdata: try RData(type: .a, presentation: "192.0.2.9")))
        let zone = try SignedZone(apex: TestZone.apex, records: records, keys: .generate(), now: TestZone.now)
        #expect(zone.rrset(sub, .ns)?.signatures.isEmpty == true)
        #expect(zone.rrset(glue, .a)?.signatures.isEmpty == true)
        #expect(zone.rrset(glue, .nsec) == nil)
        #expect(zone.rrset(sub, .nsec)?.signatures.count == 1)
    }
}

@Suite("A zone built in batches")
struct SignedZoneBuilderTests {
    @Test("batches in any order, a name split across batches and a cut before its glue give the one-shot zone")
    func batchesGiveTheSameZone() throws {
        let keys = ZoneKeys.generate()
        var records = TestZone.records(devices: 30)
        let sub = try DNSName("sub.iotregistry.test.")
        let glue = try DNSName("ns.sub.iotregistry.test.")
        let extra = try RData(type: .tlsa, presentation: "3 1 1 " + String(repeating: "ab", count: 32))
        let split = try #require(records.first { $0.type == .tlsa && $0.name != TestZone.apex }).name
        records.append(ResourceRecord(name: sub, ttl: 300, rdata: .ns(NS(host: glue))))
        records.append(ResourceRecord(name: glue, ttl: 300, rdata: try RData(type: .a, presentation: "192.0.2.9")))
        records.append(ResourceRecord(name: split, ttl: 300, rdata: extra))
        let oneShot = try SignedZone(apex: TestZone.apex, records: records, keys: keys, now: TestZone.now)

        // Glue first, the apex in the middle, the second TLSA of `split` in another batch than its first.
        let first = records.filter { $0.name == glue || ($0.name != TestZone.apex && $0.rdata != extra) }
        let rest = records.filter { !($0.name == glue || ($0.name != TestZone.apex && $0.rdata != extra)) }
        var builder = SignedZone.Builder(apex: TestZone.apex, keys: keys, now: TestZone.now)
        try builder.add(first.prefix(20))
        try builder.add(rest)
        try builder.add(first.dropFirst(20))
        let batched = try builder.finish()

        #expect(SignedZoneTests.unsignedContent(batched) == SignedZoneTests.unsignedContent(oneShot))
        #expect(batched.nameCount == oneShot.nameCount)
        #expect(batched.rrset(split, .tlsa)?.rrset.rdatas.count == 2)
        #expect(batched.rrset(sub, .ns)?.signatures.isEmpty == true)
        #expect(batched.rrset(glue, .a)?.signatures.isEmpty == true)
        #expect(batched.rrset(glue, .nsec) == nil)
        // Every signature the batched zone carries verifies with its key, the merged RRset's included.
        var verified = 0
        for set in SignedRRSet.group(batched.records) {
            for sig in set.signatures {
                let key = try #require(keys.published.first { $0.keyTag == sig.keyTag })
                let failure = DNSSECValidator.verifySignature(set.rrset, sig, key: key.dnskey, now: TestZone.now)
                #expect(failure == nil, "\(set.rrset.name) \(set.rrset.type): \(failure ?? "")")
                verified += 1
            }
        }
        #expect(verified == SignedRRSet.group(oneShot.records).map(\.signatures.count).reduce(0, +))
    }

    @Test("a batch with a record out of the zone or of a type the signer makes is refused and adds nothing")
    func badBatchAddsNothing() throws {
        var builder = SignedZone.Builder(apex: TestZone.apex, keys: .generate(), now: TestZone.now)
        try builder.add(TestZone.records(devices: 2))
        let before = builder.nameCount
        let outside = ResourceRecord(
            name: try DNSName("a.example."), ttl: 300, rdata: try RData(type: .a, presentation: "192.0.2.1"))
        #expect(throws: DNSSECError(.outOfZone, "")) {
            try builder.add(TestZone.deviceRecords(7) + [outside])
        }
        #expect(builder.nameCount == before)
        #expect(throws: DNSSECError(.missingRecord, "")) {
            var empty = SignedZone.Builder(apex: TestZone.apex, keys: .generate())
            try empty.add(TestZone.deviceRecords(1))
            _ = try empty.finish()
        }
    }
}
