import Foundation
import PostgresNIO
import RegistryCore
import RegistryStorePostgres
import Synchronization
import Testing

/// Several registry nodes over one database: each node is a store instance with its own connection pool.
@Suite struct PostgresConcurrencyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func device(_ n: Int) throws -> Device {
        Device(
            eid: try EID.withCheckDigits(body: String(format: "8904903200%020d", n)),
            iccid: try ICCID.withCheckDigit(body: String(format: "898812345678%06d", n)), ownerID: "owner-a",
            aspID: "asp-a", mnoID: "mno-a", state: .registered, model: "SParkometer", createdAt: now, updatedAt: now)
    }

    static func change(_ device: Device, model: String) -> ChangeSet {
        var updated = device
        updated.model = model
        updated.version += 1
        var changes = ChangeSet()
        changes.deviceUpdates = [updated]
        changes.audit = [AuditDraft(at: now, actor: "node", action: "device.update", target: "device:\(model)")]
        changes.outbox = [OutboxEvent(at: now, kind: .deviceUpdated, eid: device.eid)]
        return changes
    }

    @Test("two nodes race on one device: exactly one wins each round, the audit chain stays linear",
        .enabled(if: TestDatabase.isAvailable))
    func twoWriters() async throws {
        try await TestDatabase.withNodes(2) { nodes in
            let (nodeA, nodeB) = (nodes[0], nodes[1])
            let original = try Self.device(1)
            var insert = ChangeSet()
            insert.deviceInserts = [original]
            insert.audit = [AuditDraft(at: Self.now, actor: "node", action: "device.create", target: "device")]
            try await nodeA.commit(insert)
            let rounds = 40
            for round in 1...rounds {
                let current = try #require(try await nodeA.device(eid: original.eid))
                async let a = Self.outcome { try await nodeA.commit(Self.change(current, model: "a\(round)")) }
                async let b = Self.outcome { try await nodeB.commit(Self.change(current, model: "b\(round)")) }
                let outcomes = [await a, await b]
                #expect(outcomes.filter { $0 == nil }.count == 1, "round \(round): \(outcomes)")
                #expect(outcomes.compactMap { $0 }.allSatisfy { $0 == .conflict }, "round \(round): \(outcomes)")
            }
            let final = try #require(try await nodeB.device(eid: original.eid))
            #expect(final.version == original.version + Int64(rounds))
            let entries = try await nodeB.auditEntries(after: 0, limit: 1000)
            #expect(entries.map(\.sequence) == Array(1...Int64(rounds + 1)))
            #expect(try await Registry(store: nodeB).verifyAudit().isIntact)
            let events = try await nodeA.outboxEvents(after: 0, limit: 1000)
            #expect(events.map(\.sequence) == Array(1...Int64(rounds)))
        }
    }

    /// nil on success, the registry code on refusal.
    static func outcome(_ body: () async throws -> Void) async -> RegistryError.Code? {
        do {
            try await body()
            return nil
        } catch let error as RegistryError {
            return error.code
        } catch {
            return .unavailable
        }
    }

    @Test("many concurrent writers on many devices: no lost update, one linear chain",
        .enabled(if: TestDatabase.isAvailable))
    func manyWriters() async throws {
        try await TestDatabase.withNodes(3) { nodes in
            var insert = ChangeSet()
            insert.deviceInserts = try (1...5).map(Self.device)
            try await nodes[0].commit(insert)
            // Each worker increments devices through the core's retry loop (plan, commit, retry on conflict).
            let registries = nodes.map { Registry(store: $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, node) in nodes.enumerated() {
                    group.addTask {
                        for step in 0..<20 {
                            let eid = try Self.device(1 + (index + step) % 5).eid
                            while true {
                                let current = try #require(try await node.device(eid: eid))
                                if await Self.outcome({
                                    try await node.commit(Self.change(current, model: "w\(index)-\(step)"))
                                }) == nil { break }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let devices = try await nodes[1].devices(eids: try (1...5).map { try Self.device($0).eid })
            #expect(devices.values.map { $0.version - 1 }.reduce(0, +) == 60, "every update landed once")
            #expect(try await registries[2].verifyAudit().isIntact)
            #expect(try await nodes[2].auditHead().sequence == 60)
        }
    }

    @Test("two consumers with SKIP LOCKED: neither waits for the other, every event is processed exactly once",
        .enabled(if: TestDatabase.isAvailable))
    func outboxTwoConsumers() async throws {
        try await TestDatabase.withNodes(2) { nodes in
            let (nodeA, nodeB) = (nodes[0], nodes[1])
            for batch in 0..<30 {
                var changes = ChangeSet()
                changes.outbox = try (0..<10).map {
                    OutboxEvent(at: Self.now, kind: .deviceRegistered, eid: try Self.device(batch * 10 + $0).eid)
                }
                try await nodeA.commit(changes)
            }
            let seen = Seen()
            // A's first batch stays claimed until B has processed something: B must skip A's locked rows.
            async let a: Void = Self.drain(nodeA, name: "a", seen: seen) { first in
                guard first else { return }
                for _ in 0..<1000 where seen.count(of: "b") == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            async let b: Void = Self.drain(nodeB, name: "b", seen: seen) { _ in
                try await Task.sleep(for: .milliseconds(1))
            }
            _ = try await (a, b)
            let all = seen.all
            #expect(all.count == 300, "processed \(all.count) times")
            #expect(Set(all) == Set(1...300), "every event once")
            #expect(seen.count(of: "a") > 0 && seen.count(of: "b") > 0, "both consumers worked")
            #expect(try await nodeB.processOutbox(consumer: "dns", limit: 10) { _ in }.isEmpty)
        }
    }

    static func drain(
        _ store: PostgresRegistryStore, name: String, seen: Seen,
        pause: @escaping @Sendable (Bool) async throws -> Void
    ) async throws {
        var first = true
        while true {
            let isFirst = first
            let events = try await store.processOutbox(consumer: "dns", limit: 10) { events in
                try await pause(isFirst)
                seen.add(name, events.map(\.sequence))
            }
            first = false
            if events.isEmpty { return }
        }
    }

    @Test("one DNS signer at a time: the advisory lock passes on when its holder's session dies",
        .enabled(if: TestDatabase.isAvailable))
    func signerLock() async throws {
        try await TestDatabase.with { url in
            let first = PostgresAdvisoryLock(url: url, name: "dns-signer")
            let second = PostgresAdvisoryLock(url: url, name: "dns-signer")
            #expect(try await first.tryAcquire())
            #expect(try await first.tryAcquire(), "taking a held lock again is a no-op")
            #expect(try await !second.tryAcquire())
            #expect(await first.isHeld())
            // The holder dies (kill -9 of the node, or its connection drops): the server ends its session.
            try await TestDatabase.admin(url) { connection in
                try await connection.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
                        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """,
                    logger: TestDatabase.logger)
            }
            var taken = false
            for _ in 0..<100 where !taken {
                taken = try await second.tryAcquire()
                if !taken { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(taken, "the standby takes over")
            #expect(await !first.isHeld(), "the old holder learns it lost the lock")
            await second.release()
            #expect(try await first.tryAcquire(), "released locks can be taken again")
            await first.release()
        }
    }
}

/// Which consumer processed which events.
final class Seen: Sendable {
    private let events = Mutex<[(String, Int64)]>([])

    func add(_ name: String, _ sequences: [Int64]) {
        events.withLock { $0 += sequences.map { (name, $0) } }
    }

    func count(of name: String) -> Int { events.withLock { $0.filter { $0.0 == name }.count } }

    var all: [Int64] { events.withLock { $0.map(\.1) } }
}
