import Foundation
import GRDB
public import RegistryCore

extension SQLiteRegistryStore {
    /// One pass at a time in this process: read what `consumer` has not processed, run `process`, record it.
    ///
    /// SQLite serves one node, so an in-process gate is the whole claim; the (consumer, sequence) primary key still
    /// refuses a second record (`conflict`) should two processes share the file.
    ///
    /// The search starts after the consumer's cursor (`outbox_cursors.through`: every event up to it is
    /// processed), so a pass reads the events waiting, not every event ever processed.
    public func processOutbox(
        consumer: String, limit: Int, _ process: @Sendable ([OutboxEvent]) async throws -> Void
    ) async throws -> [OutboxEvent] {
        await outboxGate.enter()
        do {
            let (through, events) = try await database.read { db in
                let through =
                    try Int64.fetchOne(
                        db, sql: "SELECT through FROM outbox_cursors WHERE consumer = ?", arguments: [consumer]) ?? 0
                let events = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT o.* FROM outbox o
                        WHERE o.seq > ? AND NOT EXISTS
                            (SELECT 1 FROM outbox_processed p WHERE p.consumer = ? AND p.seq = o.seq)
                        ORDER BY o.seq LIMIT ?
                        """,
                    arguments: [through, consumer, limit]
                ).map(Self.outboxEvent(from:))
                return (through, events)
            }
            if !events.isEmpty {
                try await process(events)
                let now = Date().millis
                do {
                    try await database.write { db in
                        let statement = try db.cachedStatement(
                            sql: "INSERT INTO outbox_processed(consumer, seq, processed_at) VALUES (?, ?, ?)")
                        for event in events { try statement.execute(arguments: [consumer, event.sequence, now]) }
                        try db.execute(
                            sql: """
                                INSERT INTO outbox_cursors(consumer, through)
                                SELECT ?1, COALESCE(
                                    (SELECT o.seq - 1 FROM outbox o
                                     WHERE o.seq > ?2 AND NOT EXISTS
                                        (SELECT 1 FROM outbox_processed p WHERE p.consumer = ?1 AND p.seq = o.seq)
                                     ORDER BY o.seq LIMIT 1),
                                    (SELECT max(seq) FROM outbox), 0) WHERE true
                                ON CONFLICT (consumer) DO UPDATE SET through = max(through, excluded.through)
                                """,
                            arguments: [consumer, through])
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
