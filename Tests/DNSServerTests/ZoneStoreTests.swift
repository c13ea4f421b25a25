import DNSSEC
import DNSWire
import Testing

@testable import DNSServer

/// The published snapshot and the IXFR journal (RFC 1995 §3).
@Suite struct ZoneStoreTests {
    @Test func publishSwapsTheSnapshotAndJournalsTheDiff() throws {
        var zone = try TestZone.signed(devices: 3)
        let store = ZoneStore(zone, journalLimit: 2)
        let first = store.snapshot
        let s0 = zone.serial
        let diff = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(100)))
        try store.publish(zone, diff: diff)
        #expect(first.serial == s0)  // a reader's snapshot never changes under it
        #expect(store.snapshot.serial == diff.newSerial)
        #expect(store.snapshot.journal.diffs(from: s0)?.count == 1)
    }

    @Test func journalIsBoundedAndIXFRFallsBackToAXFR() throws {
        var zone = try TestZone.signed(devices: 3)
        let store = ZoneStore(zone, journalLimit: 2)
        var serials = [zone.serial]
        for i in 0..<3 {
            let diff = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(100 + i)))
            try store.publish(zone, diff: diff)
            serials.append(zone.serial)
        }
        let snap = store.snapshot
        #expect(snap.journal.diffs.count == 2)
        let transfer = ZoneTransfer()
        let axfr = transfer.ixfrRecords(snap, clientSerial: serials[0])
        #expect(axfr == transfer.axfrRecords(snap.zone))
        let ixfr = transfer.ixfrRecords(snap, clientSerial: serials[1])
        #expect(ixfr.first?.type == .soa && ixfr.last?.type == .soa)
        // Current SOA, then per diff its old SOA ... new SOA ..., then the current SOA again.
        #expect(ixfr.filter { $0.type == .soa }.count == 2 + 2 * 2)
        #expect(transfer.ixfrRecords(snap, clientSerial: serials[3]).count == 1)
    }

    @Test func aStaleSerialIsRefused() throws {
        var zone = try TestZone.signed(devices: 1)
        let old = zone
        let store = ZoneStore(zone)
        let diff = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(7)))
        try store.publish(zone, diff: diff)
        #expect(throws: DNSServerError(.staleSerial, "")) { try store.publish(old, diff: nil) }
    }

    @Test func axfrMessagesStartAndEndWithSOA() throws {
        let zone = try TestZone.signed(devices: 50)
        let t = ZoneTransfer(messageBudget: 2000)
        let msgs = t.messages(for: TestZone.query(zone.apex, .axfr), records: t.axfrRecords(zone))
        #expect(msgs.count > 1)
        #expect(msgs.first?.answers.first?.type == .soa && msgs.last?.answers.last?.type == .soa)
        #expect(msgs.reduce(0) { $0 + $1.answers.count } == zone.records.count + 1)
    }
}

@Suite struct ResponseRateLimitTests {
    @Test func slipsEveryNthDroppedResponse() {
        let rrl = ResponseRateLimit(responsesPerSecond: 5, slip: 2)
        let limiter = ResponseRateLimiter(rrl)
        let decisions = (0..<11).map { _ in limiter.decide(prefix: 1, now: 100) }
        #expect(decisions.prefix(5).allSatisfy { $0 == .send })
        #expect(Array(decisions.suffix(6)) == [.drop, .slip, .drop, .slip, .drop, .slip])
        // Another /24 has its own bucket; time refills the first.
        #expect(limiter.decide(prefix: 2, now: 100) == .send)
        #expect(limiter.decide(prefix: 1, now: 101) == .send)
    }
}
