public import Foundation
public import RegistryCore

/// The battery every ``RegistryStore`` implementation must pass (SQLite in memory and on disk, PostgreSQL).
///
/// Each check gets a fresh, migrated store from the factory and throws ``ConformanceFailure`` when the store
/// misbehaves. Test targets run every check by name with `@Test(arguments: RegistryStoreConformance.names)`.
public enum RegistryStoreConformance {
    public typealias Check = @Sendable (any RegistryStore) async throws -> Void

    /// The checks, by name.
    public static let checks: [(name: String, run: Check)] = [
        ("device round trip", deviceRoundTrip),
        ("stale update is refused and writes nothing", staleUpdateRefused),
        ("duplicate insert is refused and the whole change set is rolled back", duplicateInsertRollsBack),
        ("concurrent commits (one transaction under group commit): a refused one leaves the others", concurrentCommits),
        ("RPIDs only grow", rpidsOnlyGrow),
        ("device listing pages by EID with filters", devicePaging),
        ("audit chain links every entry and records the head", auditChain),
        ("outbox events are numbered in commit order", outboxOrder),
        ("profile ids are read for many devices at once, oldest first", profileIDsInBatch),
        ("outbox events are processed once per consumer", outboxProcessedOnce),
        ("an outbox event a failed pass held is offered again after later ones", outboxCursorWaitsForHeldEvents),
        ("a transfer code is used once per device", transferCodeOnce),
        ("job items are processed exactly once", jobItemsOnce),
        ("due transfers are found by time", dueTransfers),
        ("tokens resolve to principals", tokensResolve),
        ("certificates round-trip and the newest good one is current", certificateRoundTrip),
        ("a certificate is revoked once, listed by its issuer, with the outbox serial", certificateRevocation),
        ("a renewal revokes and issues in one transaction, all or nothing", certificateRenewalAtomic),
        ("MNO tasks are offered to their MNO when due, oldest first, versioned", tasksOfferedAndVersioned),
        ("payload sequences are unique per device; eSIM keys and webhooks are replaced", payloadsAndKeys),
    ]

    public static var names: [String] { checks.map(\.name) }

    public static func check(named name: String) -> Check {
        checks.first { $0.name == name }!.run
    }

    // MARK: - fixtures

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func eid(_ n: Int) -> EID {
        let body = String(format: "8904903200%020d", n)
        return try! EID.withCheckDigits(body: body)
    }

    static func device(_ n: Int, asp: String = "asp-a", owner: String = "owner-a", state: DeviceState = .registered)
        -> Device
    {
        Device(
            eid: eid(n), iccid: try! ICCID.withCheckDigit(body: String(format: "898812345678%06d", n)),
            ownerID: owner, aspID: asp, mnoID: "mno-a", state: state, model: "SParkometer", serial: "S\(n)",
            firmwareVersion: "1.1", mudURL: "https://mud.example/meter.json", createdAt: now, updatedAt: now)
    }

    // MARK: - checks

    static func deviceRoundTrip(_ store: any RegistryStore) async throws {
        var device = device(1)
        device.pendingTransfer = PendingTransfer(gainingASPID: "asp-b", requestedAt: now, autoApproveAt: now + 60)
        device.state = .transferPending
        device.rpid = 7
        device.mnoStatus = "online"
        var changes = ChangeSet()
        changes.deviceInserts = [device]
        try await store.commit(changes)
        let loaded = try await store.device(eid: device.eid)
        try expect(loaded == device, "device read back differs: \(String(describing: loaded)) vs \(device)")
        var updated = device
        updated.state = .active
        updated.pendingTransfer = nil
        updated.version += 1
        changes = ChangeSet()
        changes.deviceUpdates = [updated]
        try await store.commit(changes)
        try expect(try await store.device(eid: device.eid) == updated, "update not applied")
        try expect(try await store.devices(eids: [device.eid, eid(99)]) == [device.eid: updated], "batch read")
    }

    static func staleUpdateRefused(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.deviceInserts = [device(1)]
        try await store.commit(changes)
        let head = try await store.auditHead()
        var stale = device(1)
        stale.version = 5
        stale.model = "changed"
        changes = ChangeSet()
        changes.deviceUpdates = [stale]
        changes.audit = [AuditDraft(at: now, actor: "t", action: "device.update", target: "device")]
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a stale update was applied")
        } catch let error as RegistryError {
            try expect(error.code == .conflict, "expected conflict, got \(error)")
        }
        try expect(try await store.device(eid: eid(1))?.model == "SParkometer", "stale update changed the row")
        try expect(try await store.auditHead() == head, "a refused commit wrote an audit entry")
    }

    static func duplicateInsertRollsBack(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.deviceInserts = [device(1)]
        try await store.commit(changes)
        changes = ChangeSet()
        changes.deviceInserts = [device(2), device(1)]
        changes.outbox = [OutboxEvent(at: now, kind: .deviceRegistered, eid: eid(2))]
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a duplicate insert was accepted")
        } catch let error as RegistryError {
            try expect(error.code == .alreadyExists, "expected alreadyExists, got \(error)")
        }
        try expect(try await store.device(eid: eid(2)) == nil, "half of a refused change set was written")
        try expect(try await store.outboxEvents(after: 0, limit: 10).isEmpty, "refused commit wrote an event")
    }

    /// Sixty commits at once, every third refused (it inserts a device that exists): stores that write concurrent
    /// commits in one transaction must roll back only the refused ones, and keep the audit chain and the outbox
    /// whole.
    static func concurrentCommits(_ store: any RegistryStore) async throws {
        var seed = ChangeSet()
        seed.deviceInserts = (0..<10).map { device($0) }
        try await store.commit(seed)
        let outcomes = await withTaskGroup(of: (Int, String).self) { group in
            for n in 0..<60 {
                group.addTask {
                    var changes = ChangeSet()
                    changes.deviceInserts = n % 3 == 0 ? [device(100 + n), device(n % 10)] : [device(100 + n)]
                    changes.audit = [
                        AuditDraft(at: now, actor: "asp:a", action: "device.create", target: "device:\(n)")
                    ]
                    changes.outbox = [OutboxEvent(at: now, kind: .deviceRegistered, eid: eid(100 + n))]
                    do {
                        try await store.commit(changes)
                        return (n, "committed")
                    } catch let error as RegistryError where error.code == .alreadyExists {
                        return (n, "refused as a duplicate")
                    } catch {
                        return (n, "failed: \(error)")
                    }
                }
            }
            var all: [Int: String] = [:]
            for await (n, code) in group { all[n] = code }
            return all
        }
        for n in 0..<60 {
            let refused = n % 3 == 0
            let expected = refused ? "refused as a duplicate" : "committed"
            try expect(outcomes[n] == expected, "commit \(n): \(outcomes[n] ?? "no outcome"), expected \(expected)")
            let stored = try await store.device(eid: eid(100 + n)) != nil
            try expect(stored != refused, "device \(100 + n) stored: \(stored), its commit refused: \(refused)")
        }
        let events = try await store.outboxEvents(after: 0, limit: 100)
        try expect(events.count == 40, "\(events.count) outbox events for 40 commits")
        try expect(Set(events.compactMap(\.eid)).count == 40, "outbox events repeat a device")
        let entries = try await store.auditEntries(after: 0, limit: 100)
        try expect(entries.map(\.sequence) == Array(1...40), "audit sequences \(entries.map(\.sequence))")
        try expect(try await Registry(store: store).verifyAudit().isIntact, "the audit chain broke")
    }

    static func rpidsOnlyGrow(_ store: any RegistryStore) async throws {
        let first = try await store.allocateRPIDs(count: 3)
        let second = try await store.allocateRPIDs(count: 2)
        try expect(first.count == 3 && second.count == 2, "wrong counts")
        let all = first + second
        try expect(zip(all, all.dropFirst()).allSatisfy { $0 < $1 }, "RPIDs do not grow: \(all)")
        try expect(all[0] >= 1, "RPIDs start at 1")
    }

    static func devicePaging(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.deviceInserts = (1...25).map { device($0, asp: $0 % 2 == 0 ? "asp-a" : "asp-b") }
        var deleted = device(30, asp: "asp-a")
        deleted.state = .deleted
        changes.deviceInserts.append(deleted)
        try await store.commit(changes)
        var seen: [EID] = []
        var cursor: String?
        repeat {
            let page = try await store.devices(matching: DeviceQuery(aspID: "asp-a", after: cursor, limit: 5))
            seen += page.map(\.eid)
            cursor = page.count == 5 ? page.last?.eid.digits : nil
        } while cursor != nil
        let expected = (1...25).filter { $0 % 2 == 0 }.map(eid).sorted()
        try expect(seen == expected, "paging returned \(seen.count) devices, expected \(expected.count)")
        let registered = try await store.devices(matching: DeviceQuery(state: .registered, limit: 100))
        try expect(registered.count == 25, "state filter")
        let withDeleted = try await store.devices(matching: DeviceQuery(includeDeleted: true, limit: 100))
        try expect(withDeleted.count == 26, "includeDeleted")
    }

    static func auditChain(_ store: any RegistryStore) async throws {
        for batch in 0..<3 {
            var changes = ChangeSet()
            changes.audit = (0..<4).map {
                AuditDraft(at: now, actor: "asp:a", action: "device.create", target: "device:\(batch)-\($0)")
            }
            try await store.commit(changes)
        }
        let entries = try await store.auditEntries(after: 0, limit: 100)
        try expect(entries.map(\.sequence) == Array(1...12), "sequences \(entries.map(\.sequence))")
        var previous = AuditEntry.genesisHash
        for entry in entries {
            try expect(entry.previousHash == previous && entry.isSelfConsistent, "broken link at \(entry.sequence)")
            previous = entry.hash
        }
        let head = try await store.auditHead()
        try expect(head.sequence == 12 && head.hash == previous, "head \(head) does not match the chain")
        let registry = Registry(store: store)
        try expect(try await registry.verifyAudit().isIntact, "verifyAudit on an intact chain")
    }

    static func profileIDsInBatch(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.deviceInserts = [device(1), device(2), device(3)]
        changes.profileInserts = [
            Profile(rpid: 12, eid: eid(1), aspID: "asp-a", status: .active, createdAt: now),
            Profile(rpid: 4, eid: eid(1), aspID: "asp-b", status: .revoked, createdAt: now),
            Profile(rpid: 7, eid: eid(2), aspID: "asp-a", status: .active, createdAt: now),
        ]
        try await store.commit(changes)
        let ids = try await store.profileIDs(eids: [eid(1), eid(2), eid(3)])
        try expect(ids == [eid(1): [4, 12], eid(2): [7]], "profile ids \(ids)")
        let single = try await store.profiles(eid: eid(1)).map(\.rpid)
        try expect(single == ids[eid(1)], "the batch read \(ids[eid(1)] ?? []) differs from the single one \(single)")
    }

    static func outboxOrder(_ store: any RegistryStore) async throws {
        let none = try await store.latestOutboxSequence()
        try expect(none == 0, "latest outbox sequence of an empty outbox is \(none), not 0")
        for n in 1...3 {
            var changes = ChangeSet()
            changes.outbox = [
                OutboxEvent(at: now, kind: .deviceActivated, eid: eid(n), aspID: "asp-a", rpid: Int64(n)),
                OutboxEvent(at: now, kind: .transferCompleted, eid: eid(n), aspID: "b", previousRPID: 1),
            ]
            try await store.commit(changes)
        }
        let events = try await store.outboxEvents(after: 0, limit: 100)
        try expect(events.count == 6, "expected 6 events, got \(events.count)")
        try expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence < $1.sequence }, "not increasing")
        try expect(events[0].kind == .deviceActivated && events[0].rpid == 1 && events[0].eid == eid(1), "fields")
        let later = try await store.outboxEvents(after: events[3].sequence, limit: 100)
        try expect(later.count == 2, "after-cursor")
        let latest = try await store.latestOutboxSequence()
        try expect(latest == events[5].sequence, "latest outbox sequence \(latest), newest event \(events[5].sequence)")
    }

    static func outboxProcessedOnce(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.outbox = (1...5).map { OutboxEvent(at: now, kind: .deviceRegistered, eid: eid($0)) }
        try await store.commit(changes)
        struct Refused: Error {}
        do {
            _ = try await store.processOutbox(consumer: "dns", limit: 2) { _ in throw Refused() }
            throw ConformanceFailure("a failing consumer's error was swallowed")
        } catch is Refused {}
        let first = try await store.processOutbox(consumer: "dns", limit: 2) { _ in }
        try expect(first.map(\.eid) == [eid(1), eid(2)], "a failed pass must be offered again, oldest first")
        let slow: @Sendable ([OutboxEvent]) async throws -> Void = { _ in try await Task.sleep(for: .milliseconds(50)) }
        async let a = store.processOutbox(consumer: "dns", limit: 2, slow)
        async let b = store.processOutbox(consumer: "dns", limit: 2, slow)
        let seen =
            first.map(\.sequence) + (try await a).map(\.sequence) + (try await b).map(\.sequence)
            + (try await drain(store, consumer: "dns", limit: 2))
        let all = try await store.outboxEvents(after: 0, limit: 10).map(\.sequence)
        try expect(seen.sorted() == all, "each event once for dns: processed \(seen.sorted()), committed \(all)")
        let other = try await store.processOutbox(consumer: "ca", limit: 10) { _ in }
        try expect(other.map(\.sequence) == all, "another consumer sees every event")
    }

    /// The consumer's cursor must not pass an event a concurrent pass holds and then gives back (a node dies, a
    /// consumer throws), nor events committed after the cursor moved.
    static func outboxCursorWaitsForHeldEvents(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.outbox = (1...4).map { OutboxEvent(at: now, kind: .deviceRegistered, eid: eid($0)) }
        try await store.commit(changes)
        struct Refused: Error {}
        let failing: @Sendable ([OutboxEvent]) async throws -> Void = { _ in
            try await Task.sleep(for: .milliseconds(100))
            throw Refused()
        }
        let held = Task { try await store.processOutbox(consumer: "dns", limit: 2, failing) }
        try await Task.sleep(for: .milliseconds(20))
        let later = try await store.processOutbox(consumer: "dns", limit: 2) { _ in }
        _ = await held.result
        changes.outbox = (5...6).map { OutboxEvent(at: now, kind: .deviceRegistered, eid: eid($0)) }
        try await store.commit(changes)
        let seen = later.map(\.sequence) + (try await drain(store, consumer: "dns", limit: 3))
        let all = try await store.outboxEvents(after: 0, limit: 10).map(\.sequence)
        try expect(seen.sorted() == all, "each event once for dns: processed \(seen.sorted()), committed \(all)")
    }

    /// Processes `consumer`'s outbox `limit` events at a time until nothing is left; the sequences processed.
    static func drain(_ store: any RegistryStore, consumer: String, limit: Int) async throws -> [Int64] {
        var seen: [Int64] = []
        while true {
            let more = try await store.processOutbox(consumer: consumer, limit: limit) { _ in }
            if more.isEmpty { return seen }
            seen += more.map(\.sequence)
        }
    }

    static func certificate(_ serial: String, eid n: Int, rpid: Int64, issuer: String = "aa01") -> CertificateRecord {
        CertificateRecord(
            serial: serial, eid: eid(n), rpid: rpid, issuerKeyID: issuer,
            spkiSHA256: String(repeating: String(format: "%02x", n), count: 32),
            der: [0x30, 0x04, 0x02, 0x02, UInt8(n), UInt8(rpid & 0x7f)], notBefore: now, notAfter: now + 86_400)
    }

    static func certificateRoundTrip(_ store: any RegistryStore) async throws {
        let first = certificate("0a01", eid: 1, rpid: 5)
        var changes = ChangeSet()
        changes.certificateInserts = [first, certificate("0b02", eid: 2, rpid: 6)]
        try await store.commit(changes)
        try expect(try await store.certificate(serial: "0a01") == first, "record read back differs")
        try expect(try await store.certificate(serial: "ffff") == nil, "unknown serial")
        try expect(try await store.currentCertificate(eid: eid(1)) == first, "current certificate")
        try expect(try await store.currentCertificate(eid: eid(3)) == nil, "device without certificate")
        // A newer certificate for the same device becomes current, even issued in the same second.
        changes = ChangeSet()
        let second = certificate("0c03", eid: 1, rpid: 7)
        changes.certificateInserts = [second]
        try await store.commit(changes)
        try expect(try await store.currentCertificate(eid: eid(1))?.serial == "0c03", "newest is current")
        // The batch read (bulk jobs) agrees with the single one: the newest per device, none for a device without.
        let batch = try await store.currentCertificates(eids: [eid(1), eid(2), eid(3)])
        try expect(
            batch.mapValues(\.serial) == [eid(1): "0c03", eid(2): "0b02"], "batch read: \(batch.mapValues(\.serial))")
        // A duplicate serial is refused and the whole change set is rolled back.
        changes = ChangeSet()
        changes.deviceInserts = [device(9)]
        changes.certificateInserts = [certificate("0a01", eid: 9, rpid: 8)]
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a duplicate serial was accepted")
        } catch let error as RegistryError {
            try expect(error.code == .alreadyExists, "duplicate serial: \(error.code)")
        }
        try expect(try await store.device(eid: eid(9)) == nil, "rolled back device")
    }

    static func certificateRevocation(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.certificateInserts = [
            certificate("01", eid: 1, rpid: 1), certificate("02", eid: 2, rpid: 2),
            certificate("03", eid: 3, rpid: 3, issuer: "bb02"),
        ]
        try await store.commit(changes)
        changes = ChangeSet()
        changes.certificateRevocations = [
            CertificateRevocation(serial: "01", revokedAt: now + 10, reason: 5),
            CertificateRevocation(serial: "03", revokedAt: now + 10, reason: 4),
        ]
        changes.outbox = [OutboxEvent(at: now, kind: .certificateRevoked, eid: eid(1), rpid: 1, serial: "01")]
        try await store.commit(changes)
        let revoked = try await store.revokedCertificates(issuerKeyID: "aa01")
        try expect(revoked.map(\.serial) == ["01"], "revoked by issuer: \(revoked.map(\.serial))")
        try expect(revoked.first?.status == .revoked && revoked.first?.reason == 5, "status and reason")
        try expect(revoked.first?.revokedAt == now + 10, "revocation time")
        try expect(try await store.currentCertificate(eid: eid(1)) == nil, "a revoked certificate is not current")
        let events = try await store.outboxEvents(after: 0, limit: 10)
        try expect(events.last?.serial == "01" && events.last?.kind == .certificateRevoked, "outbox serial")
        // Revoking again is a conflict and nothing of that change set is written.
        changes = ChangeSet()
        changes.deviceInserts = [device(8)]
        changes.certificateRevocations = [CertificateRevocation(serial: "01", revokedAt: now + 20, reason: 1)]
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a certificate was revoked twice")
        } catch let error as RegistryError {
            try expect(error.code == .conflict, "second revocation: \(error.code)")
        }
        try expect(try await store.device(eid: eid(8)) == nil, "rolled back device")
        try expect(try await store.certificate(serial: "01")?.reason == 5, "first reason kept")
        // Revoking a serial that was never issued is a conflict too.
        changes = ChangeSet()
        changes.certificateRevocations = [CertificateRevocation(serial: "99", revokedAt: now, reason: 0)]
        do {
            try await store.commit(changes)
            throw ConformanceFailure("an unknown serial was revoked")
        } catch let error as RegistryError {
            try expect(error.code == .conflict, "unknown serial revocation: \(error.code)")
        }
        // The good ones stay off the CRL; revoked records keep their DER and SPKI hash (OCSP answers from them).
        let second = try await store.revokedCertificates(issuerKeyID: "aa01")
        try expect(second.map(\.serial) == ["01"], "only revoked certificates are listed")
        try expect(second.first?.der == certificate("01", eid: 1, rpid: 1).der, "revoked DER kept")
        try expect(try await store.revokedCertificates(issuerKeyID: "cc03").isEmpty, "unknown issuer")
        try expect(try await store.certificate(serial: "02")?.status == .good, "untouched certificate stays good")
    }

    static func certificateRenewalAtomic(_ store: any RegistryStore) async throws {
        var device = device(1, state: .active)
        device.rpid = 4
        var changes = ChangeSet()
        changes.deviceInserts = [device]
        changes.certificateInserts = [certificate("0101", eid: 1, rpid: 4)]
        try await store.commit(changes)
        // A renewal planned against a stale device version is refused whole: the old certificate stays good.
        var stale = device
        stale.version += 1
        var updated = stale
        changes = ChangeSet()
        changes.deviceUpdates = [stale]
        try await store.commit(changes)
        changes = ChangeSet()
        changes.deviceUpdates = [stale]
        changes.certificateRevocations = [CertificateRevocation(serial: "0101", revokedAt: now + 1, reason: 4)]
        changes.certificateInserts = [certificate("0202", eid: 1, rpid: 4)]
        changes.outbox = [OutboxEvent(at: now, kind: .certificateIssued, eid: eid(1), rpid: 4, serial: "0202")]
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a stale renewal was applied")
        } catch let error as RegistryError {
            try expect(error.code == .conflict, "stale renewal: \(error.code)")
        }
        try expect(try await store.currentCertificate(eid: eid(1))?.serial == "0101", "old certificate still current")
        try expect(try await store.certificate(serial: "0202") == nil, "new certificate not stored")
        try expect(try await store.outboxEvents(after: 0, limit: 10).isEmpty, "no outbox event")
        // The same renewal on the current version: old revoked (superseded), new current, event with the serial.
        updated.version += 1
        changes.deviceUpdates = [updated]
        try await store.commit(changes)
        try expect(try await store.currentCertificate(eid: eid(1))?.serial == "0202", "new certificate current")
        let old = try await store.certificate(serial: "0101")
        try expect(old?.status == .revoked && old?.reason == 4 && old?.revokedAt == now + 1, "old one revoked")
        let events = try await store.outboxEvents(after: 0, limit: 10)
        try expect(events.map(\.serial) == ["0202"] && events.first?.kind == .certificateIssued, "issued event")
    }

    static func transferCodeOnce(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        changes.transferCodeInserts = [
            TransferCode(hash: "h1", ownerID: "owner-a", eids: [eid(1), eid(2)], createdAt: now, expiresAt: now + 60)
        ]
        try await store.commit(changes)
        let use = try await store.transferCodeUse(codeHash: "h1", eid: eid(2))
        try expect(use?.ownerID == "owner-a" && use?.usedAt == nil, "use read back")
        try expect(try await store.transferCodeUse(codeHash: "h1", eid: eid(3)) == nil, "unlisted device")
        var consumed = try require(use)
        consumed.usedAt = now
        changes = ChangeSet()
        changes.transferCodeUses = [consumed]
        try await store.commit(changes)
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a transfer code was used twice")
        } catch let error as RegistryError {
            try expect(error.code == .conflict, "expected conflict, got \(error)")
        }
        try expect(try await store.transferCodeUse(codeHash: "h1", eid: eid(2))?.usedAt != nil, "use recorded")
        // The batch read (bulk transfers) agrees with the single one.
        let uses = try await store.transferCodeUses(codeHash: "h1", eids: [eid(1), eid(2), eid(3)])
        try expect(
            Set(uses.keys) == [eid(1), eid(2)] && uses[eid(2)]?.usedAt != nil && uses[eid(1)]?.usedAt == nil
                && uses[eid(1)]?.ownerID == "owner-a", "batch read of code uses")
        try expect(try await store.transferCodeUses(codeHash: "h2", eids: [eid(1)]).isEmpty, "another code")
    }

    static func jobItemsOnce(_ store: any RegistryStore) async throws {
        let job = Job(
            id: "job-1", submitter: "asp:a", operation: .create, status: .queued, total: 3, createdAt: now,
            updatedAt: now)
        var changes = ChangeSet()
        changes.jobInserts = [job]
        changes.jobItemInserts = (0..<3).map {
            JobItem(jobID: "job-1", index: $0, input: JobItemInput(eid: eid($0).digits, iccid: "x", authCodeHash: "h"))
        }
        try await store.commit(changes)
        try expect(try await store.unfinishedJobs().map(\.id) == ["job-1"], "unfinished")
        var pending = try await store.pendingJobItems(jobID: "job-1", limit: 2)
        try expect(pending.map(\.index) == [0, 1], "pending order")
        try expect(pending[0].input.authCodeHash == "h" && pending[0].input.iccid == "x", "inputs kept")
        pending[0].status = .succeeded
        pending[1].status = .failed
        pending[1].errorCode = "invalidInput"
        var done = job
        done.processed = 2
        done.status = .running
        changes = ChangeSet()
        changes.jobItemUpdates = Array(pending[0...1])
        changes.jobUpdates = [done]
        try await store.commit(changes)
        do {
            try await store.commit(changes)
            throw ConformanceFailure("a job item was processed twice")
        } catch let error as RegistryError {
            try expect(error.code == .conflict, "expected conflict, got \(error)")
        }
        try expect(try await store.pendingJobItems(jobID: "job-1", limit: 10).map(\.index) == [2], "one left")
        let items = try await store.jobItems(jobID: "job-1", after: -1, limit: 10)
        try expect(items.map(\.status) == [.succeeded, .failed, .pending], "statuses \(items.map(\.status))")
        try expect(try await store.job(id: "job-1")?.processed == 2, "progress")
    }

    static func dueTransfers(_ store: any RegistryStore) async throws {
        var early = device(1, state: .transferPending)
        early.pendingTransfer = PendingTransfer(gainingASPID: "b", requestedAt: now, autoApproveAt: now + 10)
        var late = device(2, state: .transferPending)
        late.pendingTransfer = PendingTransfer(gainingASPID: "b", requestedAt: now, autoApproveAt: now + 100)
        var changes = ChangeSet()
        changes.deviceInserts = [early, late, device(3, state: .active)]
        try await store.commit(changes)
        let due = try await store.devicesWithDueTransfers(at: now + 50, limit: 10)
        try expect(due.map(\.eid) == [eid(1)], "due \(due.map(\.eid))")
    }

    static func tokensResolve(_ store: any RegistryStore) async throws {
        var changes = ChangeSet()
        let asp = ASP(
            id: "asp-x", name: "ParkoServ", fqdn: "iot.parkoserv.test", port: 8883, url: nil,
            transportProtocol: "mqtts", serverCertificatePEM: nil, createdAt: now)
        changes.tenantInserts = [
            TenantInsert(record: .registryOperator, tokenHash: "t-op"),
            TenantInsert(record: .asp(asp), tokenHash: "t-asp"),
            TenantInsert(
                record: .named(NamedTenant(id: "owner-x", kind: .owner, name: "City", createdAt: now)),
                tokenHash: "t-owner"),
            TenantInsert(
                record: .named(NamedTenant(id: "mno-x", kind: .mno, name: "Telco", createdAt: now)),
                tokenHash: "t-mno"),
        ]
        try await store.commit(changes)
        try expect(try await store.principal(tokenHash: "t-op") == .registryOperator, "operator")
        try expect(try await store.principal(tokenHash: "t-asp") == .asp("asp-x"), "asp")
        try expect(try await store.principal(tokenHash: "t-owner") == .owner("owner-x"), "owner")
        try expect(try await store.principal(tokenHash: "t-mno") == .mno("mno-x"), "mno")
        try expect(try await store.principal(tokenHash: "nope") == nil, "unknown")
        try expect(try await store.asp(id: "asp-x") == asp, "asp read back")
        try expect(try await store.asps(after: nil, limit: 10) == [asp], "asp list")
        try expect(try await store.namedTenant(id: "mno-x")?.kind == .mno, "tenant kind")
    }
}

/// A store that does not behave as the protocol requires.
public struct ConformanceFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    guard condition else { throw ConformanceFailure(message()) }
}

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw ConformanceFailure("unexpected nil") }
    return value
}
