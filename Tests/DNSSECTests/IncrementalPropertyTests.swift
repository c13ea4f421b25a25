import DNSSEC
import DNSWire
import Foundation
import Testing

/// Many random changes in a row, each checked three ways: the diff turns the old zone into the new one (what a
/// secondary does with an IXFR), the data and NSEC chain equal a zone signed from scratch from the same records, and
/// every signature verifies. The zone keeps no NSEC RDATA (the order gives it), so a diff's removed NSECs must be
/// read before the order changes: neighbours added and removed in one change are the hard case.
@Suite("Incremental changes, at random")
struct IncrementalPropertyTests {
    @Test("two hundred random changes keep the diff, the chain and the signatures right")
    func randomChangesStayConsistent() throws {
        var generator = SystemRandomNumberGenerator()
        var zone = try SignedZone(
            apex: TestZone.apex, records: TestZone.records(devices: 40), keys: .generate(), now: TestZone.now)
        let keys = zone.keys
        // The device records the zone should hold.
        var data = Set((0..<40).flatMap { TestZone.deviceRecords($0) })
        // A second TLSA at a device's name, that comes and goes on its own.
        func extraTLSA(_ i: Int) -> ResourceRecord {
            var r = TestZone.deviceRecords(i)[0]
            r.rdata = .tlsa(
                TLSA(
                    usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256,
                    data: TestZone.fakeBytes(i + 99, count: 32)))
            return r
        }
        for step in 0..<200 {
            var change = ZoneChange()
            // Devices numbered close together sort next to each other: a change often adds and removes neighbours.
            let base = Int.random(in: 0..<120, using: &generator)
            for i in base..<(base + Int.random(in: 1...4, using: &generator)) {
                let device = TestZone.deviceRecords(i)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    change.removedNames += device.map(\.name)
                    data = data.filter { r in !device.contains { $0.name == r.name } }
                case 1:
                    if data.contains(extraTLSA(i)) {
                        change.removals.append(extraTLSA(i))
                        data.remove(extraTLSA(i))
                    } else {
                        change.additions.append(extraTLSA(i))
                        data.insert(extraTLSA(i))
                    }
                case 2:
                    // The CERT record alone goes; the TLSA name stays.
                    change.removals.append(device[1])
                    data.remove(device[1])
                default:
                    change.additions += device
                    data.formUnion(device)
                }
            }
            let before = Set(zone.records)
            let diff = try zone.apply(change, now: TestZone.now.addingTimeInterval(Double(step)))
            #expect(Set(diff.removed).isSubset(of: before), "step \(step): the diff removes a record the zone lacked")
            #expect(Set(diff.added).isDisjoint(with: before), "step \(step)")
            #expect(before.subtracting(diff.removed).union(diff.added) == Set(zone.records), "step \(step)")
        }
        let expected = TestZone.records(devices: 0) + Array(data)
        let fresh = try SignedZone(apex: TestZone.apex, records: expected, keys: keys, now: TestZone.now)
        #expect(SignedZoneTests.unsignedContent(zone) == SignedZoneTests.unsignedContent(fresh))
        #expect(zone.nameCount == fresh.nameCount)
        var verified = 0
        for set in SignedRRSet.group(zone.records) {
            #expect(set.signatures.count == 1, "\(set.rrset.name) \(set.rrset.type)")
            for sig in set.signatures {
                let key = try #require(keys.published.first { $0.keyTag == sig.keyTag })
                let failure = DNSSECValidator.verifySignature(
                    set.rrset, sig, key: key.dnskey, now: TestZone.now.addingTimeInterval(300))
                #expect(failure == nil, "\(set.rrset.name) \(set.rrset.type): \(failure ?? "")")
                verified += 1
            }
        }
        #expect(verified > data.count)
    }
}
