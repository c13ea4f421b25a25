import Foundation
import PostgresNIO
public import RegistryCore

extension PostgresRegistryStore {
    /// Claims events with `FOR UPDATE SKIP LOCKED` (nodes share the work and never wait on each other), then makes
    /// the claim definitive by inserting the (consumer, sequence) rows: their primary key, checked against every
    /// committed row whatever the snapshot, is what guarantees once-only when a node's claim query raced another
    /// node's commit. `process` runs inside the transaction; if it throws, the rollback releases everything.
    public func processOutbox(
        consumer: String, limit: Int, _ process: @Sendable ([OutboxEvent]) async throws -> Void
    ) async throws -> [OutboxEvent] {
        try await transaction { connection in
            let candidates = try await Self.rows(
                """
                SELECT o.* FROM outbox o
                WHERE NOT EXISTS (SELECT 1 FROM outbox_processed p WHERE p.consumer = \(consumer) AND p.seq = o.seq)
                ORDER BY o.seq LIMIT \(Int64(limit))
                FOR UPDATE OF o SKIP LOCKED
                """, on: connection, logger: logger
            ).map(Self.outboxEvent(from:))
            guard !candidates.isEmpty else { return [] }
            let claimed = try await Self.rows(
                """
                INSERT INTO outbox_processed(consumer, seq, processed_at)
                SELECT \(consumer), s, \(Date().millis) FROM unnest(\(candidates.map(\.sequence))) AS s
                ON CONFLICT DO NOTHING RETURNING seq
                """, on: connection, logger: logger
            ).map { try $0["seq"].decode(Int64.self) }
            let mine = Set(claimed)
            let events = candidates.filter { mine.contains($0.sequence) }
            guard !events.isEmpty else { return [] }
            try await process(events)
            return events
        }
    }
}
