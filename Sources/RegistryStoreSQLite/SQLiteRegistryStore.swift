public import Foundation
import GRDB
public import RegistryCore

/// The embedded store: one SQLite file in WAL mode with durable commits (`synchronous=FULL`).
///
/// Readers never block the writer and the writer never blocks readers (WAL); every acknowledged commit has reached
/// the disk, so a crash at any point loses no acknowledged write. Commits that arrive together share one
/// transaction and one flush (``GroupCommit``), each still all-or-nothing on its own. Use `:memory:` paths only in tests.
public final class SQLiteRegistryStore: RegistryStore {
    let database: any DatabaseWriter
    /// Concurrent commits share one transaction and one disk flush (see ``GroupCommit``).
    let groupCommit: GroupCommit
    /// Serialises outbox passes in this process (SQLite has one node).
    let outboxGate = OutboxGate()

    /// Opens (or creates) the database at `path`. Call ``migrate()`` before use.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        if path == ":memory:" {
            database = try DatabaseQueue(configuration: configuration)
        } else {
            database = try DatabasePool(path: path, configuration: configuration)
        }
        groupCommit = GroupCommit { [database] changeSets in
            do {
                return try await database.write { db in
                    changeSets.map { changes in
                        Result {
                            try db.inSavepoint {
                                try Self.apply(changes, in: db)
                                return .commit
                            }
                        }
                    }
                }
            } catch {
                // The transaction itself failed (disk, lock): nothing of the batch was written.
                return changeSets.map { _ in .failure(error) }
            }
        }
    }

    public func migrate() async throws {
        try SQLiteSchema.migrator.migrate(database)
    }

    /// Writes a consistent copy of the live database to `path` (SQLite online backup), for operators' backups.
    public func backup(to path: String) throws {
        let destination = try DatabaseQueue(path: path)
        try database.backup(to: destination)
    }

    // MARK: - commit

    public func commit(_ changes: ChangeSet) async throws {
        do {
            try await groupCommit.commit(changes)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw RegistryError(.alreadyExists, "an object with that identifier exists already")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            throw RegistryError(.unavailable, "the database is busy; retry")
        }
    }

    static func apply(_ changes: ChangeSet, in db: Database) throws {
        for insert in changes.tenantInserts {
            switch insert.record {
            case .registryOperator:
                try db.execute(
                    sql: "INSERT INTO tokens(hash, role, tenant_id) VALUES (?, 'operator', NULL)",
                    arguments: [insert.tokenHash])
            case .asp(let asp):
                try db.execute(
                    sql: """
                        INSERT INTO asps(id, name, fqdn, port, url, protocol, server_certificate_pem, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        asp.id, asp.name, asp.fqdn, asp.port, asp.url, asp.transportProtocol,
                        asp.serverCertificatePEM, asp.createdAt.millis,
                    ])
                try db.execute(
                    sql: "INSERT INTO tokens(hash, role, tenant_id) VALUES (?, 'asp', ?)",
                    arguments: [insert.tokenHash, asp.id])
            case .named(let tenant):
                try db.execute(
                    sql: "INSERT INTO tenants(id, kind, name, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [tenant.id, tenant.kind.rawValue, tenant.name, tenant.createdAt.millis])
                try db.execute(
                    sql: "INSERT INTO tokens(hash, role, tenant_id) VALUES (?, ?, ?)",
                    arguments: [insert.tokenHash, tenant.kind.rawValue, tenant.id])
            }
        }
        for certificate in changes.clientCertificates {
            try db.execute(
                sql: "INSERT OR IGNORE INTO client_certificates(asp_id, sha256, pem, created_at) VALUES (?, ?, ?, ?)",
                arguments: [certificate.aspID, certificate.sha256, certificate.pem, certificate.createdAt.millis])
        }
        if !changes.deviceInserts.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO devices(eid, iccid, owner_id, asp_id, mno_id, state, rpid, model, serial,
                        firmware_version, mud_url, pending_gaining_asp, pending_requested_at, pending_auto_approve_at,
                        mno_status, created_at, updated_at, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for device in changes.deviceInserts {
                try statement.execute(arguments: deviceArguments(device) + [device.version])
            }
        }
        if !changes.deviceUpdates.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE devices SET eid = ?, iccid = ?, owner_id = ?, asp_id = ?, mno_id = ?, state = ?, rpid = ?,
                        model = ?, serial = ?, firmware_version = ?, mud_url = ?, pending_gaining_asp = ?,
                        pending_requested_at = ?, pending_auto_approve_at = ?, mno_status = ?, created_at = ?,
                        updated_at = ?, version = ?
                    WHERE eid = ? AND version = ?
                    """)
            for device in changes.deviceUpdates {
                try statement.execute(
                    arguments: deviceArguments(device) + [device.version, device.eid.digits, device.version - 1])
                if db.changesCount != 1 {
                    throw RegistryError(.conflict, "device \(device.eid) changed meanwhile; retry")
                }
            }
        }
        if !changes.profileInserts.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO profiles(rpid, eid, asp_id, status, created_at, revoked_at, revocation_reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            for profile in changes.profileInserts {
                try statement.execute(arguments: [
                    profile.rpid, profile.eid.digits, profile.aspID, profile.status.rawValue,
                    profile.createdAt.millis, profile.revokedAt?.millis, profile.revocationReason,
                ])
            }
        }
        if !changes.profileUpdates.isEmpty {
            let statement = try db.cachedStatement(
                sql: "UPDATE profiles SET status = ?, revoked_at = ?, revocation_reason = ? WHERE rpid = ?")
            for profile in changes.profileUpdates {
                try statement.execute(arguments: [
                    profile.status.rawValue, profile.revokedAt?.millis, profile.revocationReason, profile.rpid,
                ])
            }
        }
        for code in changes.transferCodeInserts {
            try db.execute(
                sql: "INSERT INTO transfer_codes(hash, owner_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [code.hash, code.ownerID, code.createdAt.millis, code.expiresAt.millis])
            let statement = try db.cachedStatement(
                sql: "INSERT INTO transfer_code_devices(hash, eid, used_at) VALUES (?, ?, NULL)")
            for eid in code.eids { try statement.execute(arguments: [code.hash, eid.digits]) }
        }
        if !changes.transferCodeUses.isEmpty {
            let statement = try db.cachedStatement(
                sql: "UPDATE transfer_code_devices SET used_at = ? WHERE hash = ? AND eid = ? AND used_at IS NULL")
            for use in changes.transferCodeUses {
                try statement.execute(arguments: [use.usedAt?.millis, use.codeHash, use.eid.digits])
                if db.changesCount != 1 {
                    throw RegistryError(.conflict, "the transfer code for \(use.eid) was used meanwhile")
                }
            }
        }
        for job in changes.jobInserts {
            try db.execute(
                sql: """
                    INSERT INTO jobs(id, submitter, operation, status, total, processed, succeeded, failed,
                        created_at, updated_at, finished_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: jobArguments(job))
        }
        if !changes.jobItemInserts.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO job_items(job_id, idx, status, eid, iccid, owner, mno, model, serial,
                        firmware_version, mud_url, auth_code_hash, error_code, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for item in changes.jobItemInserts {
                let input = item.input
                try statement.execute(arguments: [
                    item.jobID, item.index, item.status.rawValue, input.eid, input.iccid, input.owner, input.mno,
                    input.model, input.serial, input.firmwareVersion, input.mudURL, input.authCodeHash,
                    item.errorCode, item.message,
                ])
            }
        }
        for job in changes.jobUpdates {
            try db.execute(
                sql: """
                    UPDATE jobs SET status = ?, processed = ?, succeeded = ?, failed = ?, updated_at = ?,
                        finished_at = ? WHERE id = ?
                    """,
                arguments: [
                    job.status.rawValue, job.processed, job.succeeded, job.failed, job.updatedAt.millis,
                    job.finishedAt?.millis, job.id,
                ])
        }
        if !changes.jobItemUpdates.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE job_items SET status = ?, error_code = ?, message = ?
                    WHERE job_id = ? AND idx = ? AND status = 'pending'
                    """)
            for item in changes.jobItemUpdates {
                try statement.execute(arguments: [
                    item.status.rawValue, item.errorCode, item.message, item.jobID, item.index,
                ])
                if db.changesCount != 1 {
                    throw RegistryError(.conflict, "job item \(item.jobID)#\(item.index) was processed meanwhile")
                }
            }
        }
        if !changes.certificateInserts.isEmpty {
            // Issue order, kept per database so "current" never depends on clocks.
            try db.execute(
                sql: "UPDATE counters SET value = value + ? WHERE name = 'certificate'",
                arguments: [changes.certificateInserts.count])
            var sequence: Int64 =
                try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'certificate'") ?? 0
            sequence -= Int64(changes.certificateInserts.count)
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO certificates(serial, eid, rpid, issuer_key_id, spki_sha256, der, not_before, not_after,
                        status, revoked_at, reason, issued_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for record in changes.certificateInserts {
                sequence += 1
                try statement.execute(arguments: [
                    record.serial, record.eid.digits, record.rpid, record.issuerKeyID, record.spkiSHA256,
                    Data(record.der),
                    record.notBefore.millis, record.notAfter.millis, record.status.rawValue, record.revokedAt?.millis,
                    record.reason, sequence,
                ])
            }
        }
        if !changes.certificateRevocations.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, reason = ?
                    WHERE serial = ? AND status = 'good'
                    """)
            for revocation in changes.certificateRevocations {
                try statement.execute(arguments: [revocation.revokedAt.millis, revocation.reason, revocation.serial])
                if db.changesCount != 1 {
                    throw RegistryError(.conflict, "certificate \(revocation.serial) changed meanwhile; retry")
                }
            }
        }
        try applyProvisioning(changes, in: db)
        if !changes.audit.isEmpty {
            guard
                let head = try Row.fetchOne(
                    try db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE id = 1"))
            else {
                throw RegistryError(.unavailable, "the audit head is missing; run `iotreg audit verify`")
            }
            var sequence: Int64 = head["seq"]
            var previous: String = head["hash"]
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO audit_log(seq, at, actor, action, target, details, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for draft in changes.audit {
                sequence += 1
                let entry = AuditEntry.chained(draft, sequence: sequence, previousHash: previous)
                try statement.execute(arguments: [
                    entry.sequence, entry.at.millis, entry.actor, entry.action, entry.target, entry.details,
                    entry.previousHash, entry.hash,
                ])
                previous = entry.hash
            }
            try db.execute(
                sql: "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", arguments: [sequence, previous])
        }
        if !changes.outbox.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO outbox(at, kind, eid, asp_id, rpid, previous_rpid, previous_asp_id, serial)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for event in changes.outbox {
                try statement.execute(arguments: [
                    event.at.millis, event.kind.rawValue, event.eid?.digits, event.aspID, event.rpid,
                    event.previousRPID, event.previousASPID, event.serial,
                ])
            }
        }
    }

    static func deviceArguments(_ device: Device) -> StatementArguments {
        [
            device.eid.digits, device.iccid.digits, device.ownerID, device.aspID, device.mnoID,
            device.state.rawValue, device.rpid, device.model, device.serial, device.firmwareVersion, device.mudURL,
            device.pendingTransfer?.gainingASPID, device.pendingTransfer?.requestedAt.millis,
            device.pendingTransfer?.autoApproveAt.millis, device.mnoStatus, device.createdAt.millis,
            device.updatedAt.millis,
        ]
    }

    static func jobArguments(_ job: Job) -> StatementArguments {
        [
            job.id, job.submitter, job.operation.rawValue, job.status.rawValue, job.total, job.processed,
            job.succeeded, job.failed, job.createdAt.millis, job.updatedAt.millis, job.finishedAt?.millis,
        ]
    }
}

extension Date {
    /// Milliseconds since 1970: the precision every store keeps.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
