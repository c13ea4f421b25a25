public import Foundation
import NIOCore
import PostgresNIO
public import RegistryCore

extension PostgresRegistryStore {
    /// Applies the MNO-channel part of a change set (tasks, payloads, eSIM keys) inside the commit's transaction.
    static func applyProvisioning(_ changes: ChangeSet, run: (PostgresQuery) async throws -> Int) async throws {
        if !changes.taskInserts.isEmpty {
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO mno_tasks(id, mno_id, eid, kind, state, attempt, payload_sequence, created_at,
                        updated_at, available_at, outcome, version) VALUES
                    """,
                rows: changes.taskInserts.map { task in
                    [
                        .text(task.id), .text(task.mnoID), .text(task.eid.digits), .text(task.kind.rawValue),
                        .text(task.state.rawValue), .int(task.attempt), .integer(task.payloadSequence),
                        .integer(task.createdAt.millis), .integer(task.updatedAt.millis),
                        .integer(task.availableAt.millis), .text(task.outcome), .integer(task.version),
                    ]
                })
            for statement in statements { _ = try await run(statement) }
        }
        for task in changes.taskUpdates {
            let changed = try await run(
                """
                UPDATE mno_tasks SET state = \(task.state.rawValue), attempt = \(Int64(task.attempt)),
                    updated_at = \(task.updatedAt.millis), available_at = \(task.availableAt.millis),
                    outcome = \(task.outcome), version = \(task.version)
                WHERE id = \(task.id) AND version = \(task.version - 1) RETURNING 1
                """)
            if changed != 1 { throw RegistryError(.conflict, "task \(task.id) changed meanwhile; retry") }
        }
        if !changes.payloadInserts.isEmpty {
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO payloads(eid, sequence, certificate_serial, asp_id, bytes, created_at, not_after) VALUES
                    """,
                rows: changes.payloadInserts.map { payload in
                    [
                        .text(payload.eid.digits), .integer(payload.sequence), .text(payload.certificateSerial),
                        .text(payload.aspID), .bytes(payload.bytes), .integer(payload.createdAt.millis),
                        .integer(payload.notAfter.millis),
                    ]
                })
            for statement in statements { _ = try await run(statement) }
        }
        for key in changes.keyAgreementKeys {
            _ = try await run(
                """
                INSERT INTO esim_keys(eid, key_agreement_public_key, reported_at)
                VALUES (\(key.eid.digits), \(ByteBuffer(bytes: key.publicKey)), \(key.reportedAt.millis))
                ON CONFLICT (eid) DO UPDATE SET key_agreement_public_key = excluded.key_agreement_public_key,
                    reported_at = excluded.reported_at
                """)
        }
        for webhook in changes.webhooks {
            _ = try await run(
                """
                INSERT INTO webhooks(tenant_id, url, created_at)
                VALUES (\(webhook.tenantID), \(webhook.url), \(webhook.createdAt.millis))
                ON CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, created_at = excluded.created_at
                """)
        }
    }

    // MARK: - reads

    public func webhook(tenantID: String) async throws -> Webhook? {
        try await rows("SELECT * FROM webhooks WHERE tenant_id = \(tenantID)").first.map { row in
            Webhook(
                tenantID: try row["tenant_id"].decode(String.self), url: try row["url"].decode(String.self),
                createdAt: Date(millis: try row["created_at"].decode(Int64.self)))
        }
    }

    public func task(id: String) async throws -> MNOTask? {
        try await rows("SELECT * FROM mno_tasks WHERE id = \(id)").first.map(Self.task(from:))
    }

    public func tasks(eid: EID, limit: Int) async throws -> [MNOTask] {
        try await rows(
            "SELECT * FROM mno_tasks WHERE eid = \(eid.digits) ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))"
        ).map(Self.task(from:))
    }

    public func openTasks(eids: [EID]) async throws -> [MNOTask] {
        guard !eids.isEmpty else { return [] }
        return try await rows(
            """
            SELECT * FROM mno_tasks WHERE eid = ANY(\(eids.map(\.digits))) AND state IN ('pending', 'in-flight')
            ORDER BY created_at, id
            """
        ).map(Self.task(from:))
    }

    public func offerableTasks(mnoID: String, now: Date, limit: Int) async throws -> [MNOTask] {
        try await rows(
            """
            SELECT * FROM mno_tasks WHERE (mno_id = \(mnoID) OR \(mnoID) = '') AND state IN ('pending', 'in-flight')
                AND available_at <= \(now.millis)
            ORDER BY created_at, id LIMIT \(Int64(limit))
            """
        ).map(Self.task(from:))
    }

    public func latestPayload(eid: EID) async throws -> StoredPayload? {
        try await rows("SELECT * FROM payloads WHERE eid = \(eid.digits) ORDER BY sequence DESC LIMIT 1").first.map {
            row in
            StoredPayload(
                eid: try EID(try row["eid"].decode(String.self)), sequence: try row["sequence"].decode(Int64.self),
                certificateSerial: try row["certificate_serial"].decode(String.self),
                aspID: try row["asp_id"].decode(String.self),
                bytes: Array(try row["bytes"].decode(ByteBuffer.self).readableBytesView),
                createdAt: Date(millis: try row["created_at"].decode(Int64.self)),
                notAfter: Date(millis: try row["not_after"].decode(Int64.self)))
        }
    }

    public func keyAgreementKey(eid: EID) async throws -> ESIMKeyAgreementKey? {
        try await rows("SELECT * FROM esim_keys WHERE eid = \(eid.digits)").first.map { row in
            ESIMKeyAgreementKey(
                eid: try EID(try row["eid"].decode(String.self)),
                publicKey: Array(try row["key_agreement_public_key"].decode(ByteBuffer.self).readableBytesView),
                reportedAt: Date(millis: try row["reported_at"].decode(Int64.self)))
        }
    }

    static func task(from row: PostgresRandomAccessRow) throws -> MNOTask {
        let kindText = try row["kind"].decode(String.self)
        let stateText = try row["state"].decode(String.self)
        guard let kind = MNOTask.Kind(rawValue: kindText), let state = MNOTask.State(rawValue: stateText) else {
            throw RegistryError(.unavailable, "a task row has unknown kind '\(kindText)' or state '\(stateText)'")
        }
        return MNOTask(
            id: try row["id"].decode(String.self), mnoID: try row["mno_id"].decode(String.self),
            eid: try EID(try row["eid"].decode(String.self)), kind: kind, state: state,
            attempt: Int(try row["attempt"].decode(Int64.self)),
            payloadSequence: try row["payload_sequence"].decode(Int64?.self),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)),
            updatedAt: Date(millis: try row["updated_at"].decode(Int64.self)),
            availableAt: Date(millis: try row["available_at"].decode(Int64.self)),
            outcome: try row["outcome"].decode(String?.self), version: try row["version"].decode(Int64.self))
    }
}
