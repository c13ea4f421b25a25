import Foundation
import RegistryCore

extension RegistryStoreConformance {
    static func task(
        _ id: String, eid n: Int, mno: String = "mno-a", kind: MNOTask.Kind = .generateKey, at offset: Double
    )
        -> MNOTask
    {
        MNOTask(id: id, mnoID: mno, eid: eid(n), kind: kind, createdAt: now + offset)
    }

    /// Tasks round-trip, are offered to their MNO only when due and oldest first, and a stale update is refused.
    static func tasksOfferedAndVersioned(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.taskInserts = [
            task("t2", eid: 1, at: 2), task("t1", eid: 1, kind: .deliverPayload, at: 1), task("t3", eid: 2, at: 3),
            task("t4", eid: 3, mno: "mno-b", at: 0),
        ]
        changes.taskInserts[1].payloadSequence = 7
        try await store.commit(changes)
        let fetched = try require(try await store.task(id: "t1"))
        try expect(fetched == changes.taskInserts[1], "task round trip: \(fetched)")
        let offered = try await store.offerableTasks(mnoID: "mno-a", now: now + 10, limit: 10)
        try expect(offered.map(\.id) == ["t1", "t2", "t3"], "offered oldest first, own MNO only: \(offered.map(\.id))")
        try expect(try await store.offerableTasks(mnoID: "mno-a", now: now + 10, limit: 2).count == 2, "limit")
        try expect(
            try await store.offerableTasks(mnoID: "mno-a", now: now + 1.5, limit: 10).map(\.id) == ["t1"], "due only")

        var leased = fetched
        leased.state = .inFlight
        leased.attempt = 1
        leased.availableAt = now + 100
        leased.version += 1
        var update = ChangeSet()
        update.taskUpdates = [leased]
        try await store.commit(update)
        try expect(
            try await store.offerableTasks(mnoID: "mno-a", now: now + 10, limit: 10).map(\.id) == ["t2", "t3"],
            "a leased task is not offered until its lease ends")
        do {
            try await store.commit(update)
            throw ConformanceFailure("a stale task update was applied")
        } catch let error as RegistryError where error.code == .conflict {}
        try expect(try await store.task(id: "t1") == leased, "the refused update changed nothing")

        let open = try await store.openTasks(eids: [eid(1), eid(3)])
        try expect(Set(open.map(\.id)) == ["t1", "t2", "t4"], "open tasks by device: \(open.map(\.id))")
        var done = leased
        done.state = .succeeded
        done.outcome = "delivered 7"
        done.version += 1
        var finish = ChangeSet()
        finish.taskUpdates = [done]
        try await store.commit(finish)
        try expect(
            Set(try await store.openTasks(eids: [eid(1)]).map(\.id)) == ["t2"], "a finished task is no longer open")
        try expect(
            try await store.tasks(eid: eid(1), limit: 10).map(\.id) == ["t2", "t1"], "device tasks newest first")
    }

    /// Payload sequences are unique per device, the newest is current, and a duplicate rolls the change set back.
    static func payloadsAndKeys(_ store: any RegistryStore) async throws {
        func payload(_ sequence: Int64) -> StoredPayload {
            StoredPayload(
                eid: eid(1), sequence: sequence, certificateSerial: "0a\(sequence)", aspID: "asp-a",
                bytes: [0xD2, 0x84, UInt8(sequence)], createdAt: now, notAfter: now + 86_400)
        }
        var changes = ChangeSet()
        changes.payloadInserts = [payload(1), payload(2)]
        changes.keyAgreementKeys = [
            ESIMKeyAgreementKey(eid: eid(1), publicKey: [4] + Array(repeating: 1, count: 64), reportedAt: now)
        ]
        try await store.commit(changes)
        try expect(try await store.latestPayload(eid: eid(1)) == payload(2), "the newest payload is current")
        try expect(try await store.latestPayload(eid: eid(2)) == nil, "no payload for another device")

        var duplicate = ChangeSet()
        duplicate.payloadInserts = [payload(2)]
        duplicate.taskInserts = [task("t9", eid: 1, at: 0)]
        do {
            try await store.commit(duplicate)
            throw ConformanceFailure("a duplicate payload sequence was stored")
        } catch let error as RegistryError where error.code == .alreadyExists {}
        try expect(try await store.task(id: "t9") == nil, "the refused change set wrote no task")

        var replaced = ChangeSet()
        replaced.keyAgreementKeys = [
            ESIMKeyAgreementKey(eid: eid(1), publicKey: [4] + Array(repeating: 2, count: 64), reportedAt: now + 1)
        ]
        try await store.commit(replaced)
        try expect(
            try await store.keyAgreementKey(eid: eid(1))?.publicKey == [4] + Array(repeating: 2, count: 64),
            "a reported key-agreement key replaces the previous one")
        try expect(try await store.keyAgreementKey(eid: eid(2)) == nil, "no key for another device")

        var hooks = ChangeSet()
        hooks.webhooks = [Webhook(tenantID: "asp-a", url: "https://a.example/hook", createdAt: now)]
        try await store.commit(hooks)
        hooks.webhooks = [Webhook(tenantID: "asp-a", url: "https://a.example/v2", createdAt: now + 1)]
        try await store.commit(hooks)
        try expect(try await store.webhook(tenantID: "asp-a")?.url == "https://a.example/v2", "a webhook is replaced")
        try expect(try await store.webhook(tenantID: "asp-b") == nil, "no webhook for another tenant")
    }
}
