import Foundation
import PostgresNIO
public import RegistryCore

extension PostgresRegistryStore {
    /// Claims events with `FOR UPDATE SKIP LOCKED` (nodes share the work and never wait on each other), then makes
    /// the claim definitive by inserting the (consumer, sequence) rows: their primary key, checked against every
    /// committed row whatever the snapshot, is what guarantees once-only when a node's claim query raced another
    /// node's commit. `process` runs inside the transaction; if it throws, the rollback releases everything.
    ///
    /// The search starts at the consumer's cursor (`outbox_cursors.through`: every event up to it is processed), not
    /// at the first event: without it each claim walked every event ever processed, and at 100,000 devices the
    /// claims of a few consumers on two nodes kept PostgreSQL busy. The cursor is safe because sequences are
    /// handed out under the `outbox` counter's row lock, so events commit in sequence order and none can appear
    /// below a visible one later; it only advances to just before the first event not processed in this
    /// transaction's view, so an event another node still holds keeps it back.
    public func processOutbox(
        consumer: String, limit: Int, _ process: @Sendable ([OutboxEvent]) async throws -> Void
    ) async throws -> [OutboxEvent] {
        try await transaction { connection in
            let through =
                try await Self.rows(
                    "SELECT through FROM outbox_cursors WHERE consumer = \(consumer)", on: connection, logger: logger
                ).first?["through"].decode(Int64.self) ?? 0
            let candidates = try await Self.rows(
                """
                SELECT o.* FROM outbox o
                WHERE o.seq > \(through)
                    AND NOT EXISTS (SELECT 1 FROM outbox_processed p WHERE p.consumer = \(consumer) AND p.seq = o.seq)
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
            _ = try await Self.rows(
                """
                INSERT INTO outbox_cursors(consumer, through)
                SELECT \(consumer), COALESCE(
                    (SELECT o.seq - 1 FROM outbox o
                     WHERE o.seq > \(through) AND NOT EXISTS
                        (SELECT 1 FROM outbox_processed p WHERE p.consumer = \(consumer) AND p.seq = o.seq)
                     ORDER BY o.seq LIMIT 1),
                    (SELECT max(seq) FROM outbox), 0)
                ON CONFLICT (consumer) DO UPDATE SET through = GREATEST(outbox_cursors.through, EXCLUDED.through)
                """, on: connection, logger: logger)
            return events
        }
    }
}
