public import Foundation
import GRDB
public import RegistryCore

extension SQLiteRegistryStore {
    /// Applies the MNO-channel part of a change set (tasks, payloads, eSIM keys) inside the commit's transaction.
    static func applyProvisioning(_ changes: ChangeSet, in db: Database) throws {
        if !changes.taskInserts.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO mno_tasks(id, mno_id, eid, kind, state, attempt, payload_sequence, created_at,
                        updated_at, available_at, outcome, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for task in changes.taskInserts {
                do {
                    try statement.execute(arguments: [
                        task.id, task.mnoID, task.eid.digits, task.kind.rawValue, task.state.rawValue, task.attempt,
                        task.payloadSequence, task.createdAt.millis, task.updatedAt.millis, task.availableAt.millis,
                        task.outcome, task.version,
                    ])
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw RegistryError(.alreadyExists, "task \(task.id) exists already")
                }
            }
        }
        if !changes.taskUpdates.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE mno_tasks SET state = ?, attempt = ?, updated_at = ?, available_at = ?, outcome = ?,
                        version = ? WHERE id = ? AND version = ?
                    """)
            for task in changes.taskUpdates {
                try statement.execute(arguments: [
                    task.state.rawValue, task.attempt, task.updatedAt.millis, task.availableAt.millis, task.outcome,
                    task.version, task.id, task.version - 1,
                ])
                if db.changesCount != 1 {
                    throw RegistryError(.conflict, "task \(task.id) changed meanwhile; retry")
                }
            }
        }
        if !changes.payloadInserts.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO payloads(eid, sequence, certificate_serial, asp_id, bytes, created_at, not_after)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            for payload in changes.payloadInserts {
                do {
                    try statement.execute(arguments: [
                        payload.eid.digits, payload.sequence, payload.certificateSerial, payload.aspID,
                        Data(payload.bytes), payload.createdAt.millis, payload.notAfter.millis,
                    ])
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw RegistryError(
                        .alreadyExists, "payload \(payload.sequence) of device \(payload.eid) exists already")
                }
            }
        }
        if !changes.keyAgreementKeys.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO esim_keys(eid, key_agreement_public_key, reported_at) VALUES (?, ?, ?)
                    ON CONFLICT(eid) DO UPDATE SET key_agreement_public_key = excluded.key_agreement_public_key,
                        reported_at = excluded.reported_at
                    """)
            for key in changes.keyAgreementKeys {
                try statement.execute(arguments: [key.eid.digits, Data(key.publicKey), key.reportedAt.millis])
            }
        }
        for webhook in changes.webhooks {
            try db.execute(
                sql: """
                    INSERT INTO webhooks(tenant_id, url, created_at) VALUES (?, ?, ?)
                    ON CONFLICT(tenant_id) DO UPDATE SET url = excluded.url, created_at = excluded.created_at
                    """,
                arguments: [webhook.tenantID, webhook.url, webhook.createdAt.millis])
        }
    }

    // MARK: - reads

    public func webhook(tenantID: String) async throws -> Webhook? {
        try await database.read { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT * FROM webhooks WHERE tenant_id = ?"), arguments: [tenantID]
            ).map {
                Webhook(tenantID: $0["tenant_id"], url: $0["url"], createdAt: Date(millis: $0["created_at"]))
            }
        }
    }

    public func task(id: String) async throws -> MNOTask? {
        try await database.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM mno_tasks WHERE id = ?"), arguments: [id]).map(
                Self.task(from:))
        }
    }

    public func tasks(eid: EID, limit: Int) async throws -> [MNOTask] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM mno_tasks WHERE eid = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                arguments: [eid.digits, limit]
            ).map(Self.task(from:))
        }
    }

    public func openTasks(eids: [EID]) async throws -> [MNOTask] {
        guard !eids.isEmpty else { return [] }
        return try await database.read { db in
            var found: [MNOTask] = []
            for chunk in stride(from: 0, to: eids.count, by: 500).map({ eids[$0..<min($0 + 500, eids.count)] }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                found += try Row.fetchAll(
                    try db.cachedStatement(
                        sql: """
                            SELECT * FROM mno_tasks WHERE eid IN (\(marks)) AND state IN ('pending', 'in-flight')
                            ORDER BY created_at, id
                            """),
                    arguments: StatementArguments(chunk.map(\.digits))
                ).map(Self.task(from:))
            }
            return found
        }
    }

    public func offerableTasks(mnoID: String, now: Date, limit: Int) async throws -> [MNOTask] {
        try await database.read { db in
            let filter = mnoID.isEmpty ? "" : "mno_id = ? AND"
            var arguments: StatementArguments = mnoID.isEmpty ? [] : [mnoID]
            arguments += [now.millis, limit]
            return try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT * FROM mno_tasks WHERE \(filter) state IN ('pending', 'in-flight') AND available_at <= ?
                        ORDER BY created_at, id LIMIT ?
                        """),
                arguments: arguments
            ).map(Self.task(from:))
        }
    }

    public func latestPayload(eid: EID) async throws -> StoredPayload? {
        try await database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM payloads WHERE eid = ? ORDER BY sequence DESC LIMIT 1", arguments: [eid.digits]
            ).map { row in
                StoredPayload(
                    eid: try EID(row["eid"] as String), sequence: row["sequence"],
                    certificateSerial: row["certificate_serial"], aspID: row["asp_id"],
                    bytes: Array(row["bytes"] as Data), createdAt: Date(millis: row["created_at"]),
                    notAfter: Date(millis: row["not_after"]))
            }
        }
    }

    public func keyAgreementKey(eid: EID) async throws -> ESIMKeyAgreementKey? {
        try await database.read { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT * FROM esim_keys WHERE eid = ?"), arguments: [eid.digits]
            ).map { row in
                ESIMKeyAgreementKey(
                    eid: try EID(row["eid"] as String), publicKey: Array(row["key_agreement_public_key"] as Data),
                    reportedAt: Date(millis: row["reported_at"]))
            }
        }
    }

    static func task(from row: Row) throws -> MNOTask {
        let kind: String = row["kind"]
        let state: String = row["state"]
        guard let kind = MNOTask.Kind(rawValue: kind), let state = MNOTask.State(rawValue: state) else {
            throw RegistryError(.unavailable, "task \(row["id"] as String) has an unknown kind or state")
        }
        return MNOTask(
            id: row["id"], mnoID: row["mno_id"], eid: try EID(row["eid"] as String), kind: kind, state: state,
            attempt: row["attempt"], payloadSequence: row["payload_sequence"],
            createdAt: Date(millis: row["created_at"]), updatedAt: Date(millis: row["updated_at"]),
            availableAt: Date(millis: row["available_at"]), outcome: row["outcome"], version: row["version"])
    }
}
