import DNSSEC
import DNSWire
import Foundation
import PeerTesting
import Testing

/// Negative fixtures, named after their defect (Knot's `semantic_check_data` style): each is a zone we signed and
/// then broke. The peers must refuse it, which shows the positive interop tests can fail.
@Suite struct DefectiveZoneTests {
    enum Defect: String, CaseIterable {
        case nsecBrokenChain
        case tlsaChangedAfterSigning
        case rrsigMissing
        case signaturesExpired
    }

    static func zoneText(with defect: Defect) throws -> String {
        let now = defect == .signaturesExpired ? Date().addingTimeInterval(-40 * 86400) : Date()
        let zone = try SignedZone(
            apex: TestZone.apex, records: TestZone.records(devices: 20), keys: .generate(), now: now)
        var records = zone.records
        let victim = TestZone.deviceRecords(4)[0].name
        switch defect {
        case .nsecBrokenChain:
            records.removeAll {
                $0.name == victim && ($0.type == .nsec || ($0.rdata == zone.rrset(victim, .nsec)?.records.last?.rdata))
            }
        case .tlsaChangedAfterSigning:
            let i = try #require(records.firstIndex { $0.name == victim && $0.type == .tlsa })
            records[i].rdata = .tlsa(
                TLSA(
                    usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256,
                    data: [UInt8](repeating: 0xAB, count: 32)))
        case .rrsigMissing:
            records.removeAll {
                if case .rrsig(let s) = $0.rdata { return $0.name == victim && s.typeCovered == .tlsa }
                return false
            }
        case .signaturesExpired:
            break
        }
        return ZoneFileWriter.write(records)
    }

    @Test(
        .enabled(if: PeerTool.isAvailable("ldns-verify-zone") && PeerTool.isAvailable("dnssec-verify")),
        arguments: Defect.allCases)
    func peersRefuse(_ defect: Defect) throws {
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("\(defect.rawValue).signed").path
        try Self.zoneText(with: defect).write(toFile: path, atomically: true, encoding: .utf8)
        let ldns = try PeerTool.run("ldns-verify-zone", [path])
        #expect(ldns.status != 0, "ldns-verify-zone accepted \(defect): \(ldns.output)")
        let bind = try PeerTool.run("dnssec-verify", ["-o", "iotregistry.test", path])
        #expect(bind.status != 0, "dnssec-verify accepted \(defect): \(bind.output)")
    }

    /// Our validator refuses the broken RRsets too.
    @Test func ourValidatorRefusesTheChangedTLSA() throws {
        let sets = SignedRRSet.group(try ZoneFileReader().read(Self.zoneText(with: .tlsaChangedAfterSigning)))
        let keys = try #require(sets.first { $0.rrset.type == .dnskey })
        let ksk = try #require(
            keys.rrset.rdatas.compactMap { if case .dnskey(let k) = $0, k.isSecureEntryPoint { k } else { nil } }.first)
        let validator = DNSSECValidator(trustAnchors: [TrustAnchor(zone: TestZone.apex, kind: .dnskey(ksk))])
        let victim = TestZone.deviceRecords(4)[0].name
        let tlsa = try #require(sets.first { $0.rrset.name == victim && $0.rrset.type == .tlsa })
        #expect(validator.validate(tlsa, keys: keys) != .secure)
        let other = try #require(sets.first { $0.rrset.name != victim && $0.rrset.type == .tlsa })
        #expect(validator.validate(other, keys: keys) == .secure)
    }
}
