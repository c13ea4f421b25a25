import Foundation
import GRDB
public import RegistryCore

extension SQLiteRegistryStore {
    /// One pass at a time in this process: read what `consumer` has not processed, run `process`, record it.
    ///
    /// SQLite serves one node, so an in-process gate is the whole claim; the (consumer, sequence) primary key still
    /// refuses a second record (`conflict`) should two processes share the file.
    public func processOutbox(
        consumer: String, limit: Int, _ process: @Sendable ([OutboxEvent]) async throws -> Void
    ) async throws -> [OutboxEvent] {
        await outboxGate.enter()
        do {
            let events = try await database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT o.* FROM outbox o
                        WHERE NOT EXISTS (SELECT 1 FROM outbox_processed p WHERE p.consumer = ? AND p.seq = o.seq)
                        ORDER BY o.seq LIMIT ?
                        """,
                    arguments: [consumer, limit]
                ).map(Self.outboxEvent(from:))
            }
            if !events.isEmpty {
                try await process(events)
                let now = Date().millis
                do {
                    try await database.write { db in
                        let statement = try db.cachedStatement(
                            sql: "INSERT INTO outbox_processed(consumer, seq, processed_at) VALUES (?, ?, ?)")
                        for event in events { try statement.execute(arguments: [consumer, event.sequence, now]) }
                    }
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw RegistryError(.conflict, "another process recorded these outbox events for \(consumer)")
                }
            }
            await outboxGate.leave()
            return events
        } catch {
            await outboxGate.leave()
            throw error
        }
    }
}

/// A first-come, first-served async mutex.
actor OutboxGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
