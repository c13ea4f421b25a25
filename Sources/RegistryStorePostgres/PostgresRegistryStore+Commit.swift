import Foundation
import Logging
import PostgresNIO
public import RegistryCore

extension PostgresRegistryStore {
    public func commit(_ changes: ChangeSet) async throws {
        try await groupCommit.commit(changes)
    }

    /// One transaction for a batch of change sets (``GroupCommit``).
    ///
    /// Every change set's rows are written first, then the audit entries and outbox events of them all in one
    /// extension of each chain: the head rows are locked once per batch, not once per change set. The batch is
    /// first tried whole; if any change set is refused, that transaction rolls back and the batch is written again
    /// with a savepoint per change set, so that only the refused ones fail.
    static func write(_ changeSets: [ChangeSet], client: PostgresClient, logger: Logger) async -> [Result<
        Void, any Error
    >] {
        do {
            try await transaction(client: client, logger: logger) { connection in
                for changes in changeSets { try await applyRows(changes, on: connection, logger: logger) }
                try await appendChains(changeSets, on: connection, logger: logger)
            }
            return changeSets.map { _ in .success(()) }
        } catch {
            // A batch of one has its answer; a larger one is written again, each change set on its own.
            guard changeSets.count > 1 else { return [.failure(error)] }
        }
        do {
            return try await transaction(client: client, logger: logger) { connection in
                var results: [Result<Void, any Error>] = []
                for changes in changeSets {
                    try await connection.query("SAVEPOINT change_set", logger: logger)
                    do {
                        try await applyRows(changes, on: connection, logger: logger)
                        try await connection.query("RELEASE SAVEPOINT change_set", logger: logger)
                        results.append(.success(()))
                    } catch {
                        try await connection.query("ROLLBACK TO SAVEPOINT change_set", logger: logger)
                        try await connection.query("RELEASE SAVEPOINT change_set", logger: logger)
                        results.append(.failure(registryError(error)))
                    }
                }
                let written = zip(changeSets, results).compactMap { changes, result in
                    (try? result.get()).map { changes }
                }
                try await appendChains(written, on: connection, logger: logger)
                return results
            }
        } catch {
            // The transaction itself failed (connection, deadlock): nothing was written.
            return changeSets.map { _ in .failure(error) }
        }
    }

    /// Everything of `changes` but the audit entries and outbox events.
    static func applyRows(_ changes: ChangeSet, on connection: PostgresConnection, logger: Logger) async throws {
        func run(_ query: PostgresQuery) async throws -> Int {
            let changed = try await Self.rows(query, on: connection, logger: logger)
            return changed.count
        }
        for insert in changes.tenantInserts {
            switch insert.record {
            case .registryOperator:
                _ = try await run(
                    "INSERT INTO tokens(hash, role, tenant_id) VALUES (\(insert.tokenHash), 'operator', NULL)")
            case .asp(let asp):
                _ = try await run(
                    """
                    INSERT INTO asps(id, name, fqdn, port, url, protocol, server_certificate_pem, created_at)
                    VALUES (\(asp.id), \(asp.name), \(asp.fqdn), \(Int64(asp.port)), \(asp.url),
                        \(asp.transportProtocol), \(asp.serverCertificatePEM), \(asp.createdAt.millis))
                    """)
                _ = try await run(
                    "INSERT INTO tokens(hash, role, tenant_id) VALUES (\(insert.tokenHash), 'asp', \(asp.id))")
            case .named(let tenant):
                _ = try await run(
                    """
                    INSERT INTO tenants(id, kind, name, created_at)
                    VALUES (\(tenant.id), \(tenant.kind.rawValue), \(tenant.name), \(tenant.createdAt.millis))
                    """)
                _ = try await run(
                    """
                    INSERT INTO tokens(hash, role, tenant_id)
                    VALUES (\(insert.tokenHash), \(tenant.kind.rawValue), \(tenant.id))
                    """)
            }
        }
        for certificate in changes.clientCertificates {
            _ = try await run(
                """
                INSERT INTO client_certificates(asp_id, sha256, pem, created_at)
                VALUES (\(certificate.aspID), \(certificate.sha256), \(certificate.pem), \(certificate.createdAt.millis))
                ON CONFLICT DO NOTHING
                """)
        }
        if !changes.deviceInserts.isEmpty {
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO devices(eid, iccid, owner_id, asp_id, mno_id, state, rpid, model, serial,
                        firmware_version, mud_url, pending_gaining_asp, pending_requested_at, pending_auto_approve_at,
                        mno_status, created_at, updated_at, version) VALUES
                    """,
                rows: changes.deviceInserts.map(deviceValues))
            for statement in statements { _ = try await run(statement) }
        }
        try await updateDevices(changes.deviceUpdates, run: run)
        if !changes.profileInserts.isEmpty {
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO profiles(rpid, eid, asp_id, status, created_at, revoked_at, revocation_reason) VALUES
                    """,
                rows: changes.profileInserts.map { profile in
                    [
                        .integer(profile.rpid), .text(profile.eid.digits), .text(profile.aspID),
                        .text(profile.status.rawValue), .integer(profile.createdAt.millis),
                        .integer(profile.revokedAt?.millis), .text(profile.revocationReason),
                    ]
                })
            for statement in statements { _ = try await run(statement) }
        }
        for profile in changes.profileUpdates {
            _ = try await run(
                """
                UPDATE profiles SET status = \(profile.status.rawValue), revoked_at = \(profile.revokedAt?.millis),
                    revocation_reason = \(profile.revocationReason) WHERE rpid = \(profile.rpid)
                """)
        }
        for code in changes.transferCodeInserts {
            _ = try await run(
                """
                INSERT INTO transfer_codes(hash, owner_id, created_at, expires_at)
                VALUES (\(code.hash), \(code.ownerID), \(code.createdAt.millis), \(code.expiresAt.millis))
                """)
            let statements = SQLRows.statements(
                prefix: "INSERT INTO transfer_code_devices(hash, eid, used_at) VALUES ",
                rows: code.eids.map { [.text(code.hash), .text($0.digits), .integer(nil)] })
            for statement in statements { _ = try await run(statement) }
        }
        for use in changes.transferCodeUses {
            let changed = try await run(
                """
                UPDATE transfer_code_devices SET used_at = \(use.usedAt?.millis)
                WHERE hash = \(use.codeHash) AND eid = \(use.eid.digits) AND used_at IS NULL RETURNING 1
                """)
            if changed != 1 {
                throw RegistryError(.conflict, "the transfer code for \(use.eid) was used meanwhile")
            }
        }
        for job in changes.jobInserts {
            _ = try await run(
                """
                INSERT INTO jobs(id, submitter, operation, status, total, processed, succeeded, failed,
                    created_at, updated_at, finished_at)
                VALUES (\(job.id), \(job.submitter), \(job.operation.rawValue), \(job.status.rawValue),
                    \(Int64(job.total)), \(Int64(job.processed)), \(Int64(job.succeeded)), \(Int64(job.failed)),
                    \(job.createdAt.millis), \(job.updatedAt.millis), \(job.finishedAt?.millis))
                """)
        }
        if !changes.jobItemInserts.isEmpty {
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO job_items(job_id, idx, status, eid, iccid, owner, mno, model, serial,
                        firmware_version, mud_url, auth_code_hash, error_code, message) VALUES
                    """,
                rows: changes.jobItemInserts.map { item in
                    let input = item.input
                    return [
                        .text(item.jobID), .int(item.index), .text(item.status.rawValue), .text(input.eid),
                        .text(input.iccid), .text(input.owner), .text(input.mno), .text(input.model),
                        .text(input.serial), .text(input.firmwareVersion), .text(input.mudURL),
                        .text(input.authCodeHash), .text(item.errorCode), .text(item.message),
                    ]
                })
            for statement in statements { _ = try await run(statement) }
        }
        for job in changes.jobUpdates {
            _ = try await run(
                """
                UPDATE jobs SET status = \(job.status.rawValue), processed = \(Int64(job.processed)),
                    succeeded = \(Int64(job.succeeded)), failed = \(Int64(job.failed)),
                    updated_at = \(job.updatedAt.millis), finished_at = \(job.finishedAt?.millis)
                WHERE id = \(job.id)
                """)
        }
        try await updateJobItems(changes.jobItemUpdates, run: run)
        if !changes.certificateInserts.isEmpty {
            // Issue order, kept per database so "current" never depends on clocks.
            let count = Int64(changes.certificateInserts.count)
            guard
                let counter = try await rows(
                    "UPDATE counters SET value = value + \(count) WHERE name = 'certificate' RETURNING value",
                    on: connection, logger: logger
                ).first
            else {
                throw RegistryError(.unavailable, "the certificate counter is missing; the schema is damaged")
            }
            let first = try counter["value"].decode(Int64.self) - count + 1
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO certificates(serial, eid, rpid, issuer_key_id, spki_sha256, der, not_before, not_after,
                        status, revoked_at, reason, issued_seq) VALUES
                    """,
                rows: changes.certificateInserts.enumerated().map { offset, record in
                    [
                        .text(record.serial), .text(record.eid.digits), .integer(record.rpid),
                        .text(record.issuerKeyID), .text(record.spkiSHA256), .bytes(record.der),
                        .integer(record.notBefore.millis), .integer(record.notAfter.millis),
                        .text(record.status.rawValue), .integer(record.revokedAt?.millis),
                        .integer(record.reason.map(Int64.init)), .integer(first + Int64(offset)),
                    ]
                })
            for statement in statements { _ = try await run(statement) }
        }
        for revocation in changes.certificateRevocations {
            let changed = try await run(
                """
                UPDATE certificates SET status = 'revoked', revoked_at = \(revocation.revokedAt.millis),
                    reason = \(Int64(revocation.reason))
                WHERE serial = \(revocation.serial) AND status = 'good' RETURNING 1
                """)
            if changed != 1 {
                throw RegistryError(.conflict, "certificate \(revocation.serial) changed meanwhile; retry")
            }
        }
        try await applyProvisioning(changes, run: run)
    }

    /// The audit entries and outbox events of `changeSets`, in their order, as one extension of each chain. Written
    /// after every row, in the SQLite store's order: the head rows' locks, taken last and held until commit,
    /// serialise only this tail across nodes.
    static func appendChains(_ changeSets: [ChangeSet], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        func run(_ query: PostgresQuery) async throws -> Int {
            try await Self.rows(query, on: connection, logger: logger).count
        }
        let audit = changeSets.flatMap(\.audit)
        let outbox = changeSets.flatMap(\.outbox)
        if !audit.isEmpty {
            // The head's row lock orders every chain extension: the chain stays linear across nodes.
            guard
                let head = try await rows(
                    "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE", on: connection, logger: logger
                ).first
            else {
                throw RegistryError(.unavailable, "the audit head is missing; run `iotreg audit verify`")
            }
            var sequence = try head["seq"].decode(Int64.self)
            var previous = try head["hash"].decode(String.self)
            var values: [[SQLValue]] = []
            for draft in audit {
                sequence += 1
                let entry = AuditEntry.chained(draft, sequence: sequence, previousHash: previous)
                values.append([
                    .integer(entry.sequence), .integer(entry.at.millis), .text(entry.actor), .text(entry.action),
                    .text(entry.target), .text(entry.details), .text(entry.previousHash), .text(entry.hash),
                ])
                previous = entry.hash
            }
            let statements = SQLRows.statements(
                prefix: "INSERT INTO audit_log(seq, at, actor, action, target, details, previous_hash, hash) VALUES ",
                rows: values)
            for statement in statements { _ = try await run(statement) }
            _ = try await run("UPDATE audit_head SET seq = \(sequence), hash = \(previous) WHERE id = 1")
        }
        if !outbox.isEmpty {
            // Numbers come from a counter row locked until commit, not a sequence: they follow commit order.
            let count = Int64(outbox.count)
            guard
                let counter = try await rows(
                    "UPDATE counters SET value = value + \(count) WHERE name = 'outbox' RETURNING value",
                    on: connection, logger: logger
                ).first
            else {
                throw RegistryError(.unavailable, "the outbox counter is missing; the schema is damaged")
            }
            let first = try counter["value"].decode(Int64.self) - count + 1
            let statements = SQLRows.statements(
                prefix: """
                    INSERT INTO outbox(seq, at, kind, eid, asp_id, rpid, previous_rpid, previous_asp_id, serial) VALUES
                    """,
                rows: outbox.enumerated().map { offset, event in
                    [
                        .integer(first + Int64(offset)), .integer(event.at.millis), .text(event.kind.rawValue),
                        .text(event.eid?.digits), .text(event.aspID), .integer(event.rpid),
                        .integer(event.previousRPID), .text(event.previousASPID), .text(event.serial),
                    ]
                })
            for statement in statements { _ = try await run(statement) }
        }
    }

    /// Device updates with the version check: each row must still be at `version - 1`.
    ///
    /// Many updates go as one `UPDATE ... FROM (VALUES ...)` per thousand rows; a count of changed rows below the
    /// number sent means a concurrent change won, and the whole change set is refused.
    static func updateDevices(_ devices: [Device], run: (PostgresQuery) async throws -> Int) async throws {
        guard !devices.isEmpty else { return }
        let distinct = Set(devices.map(\.eid)).count == devices.count
        if devices.count < 4 || !distinct {
            for device in devices {
                var values = deviceValues(device)
                values.append(.text(device.eid.digits))
                values.append(.integer(device.version - 1))
                var bindings = PostgresBindings(capacity: values.count)
                for value in values { value.append(to: &bindings) }
                let changed = try await run(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE devices SET eid = $1, iccid = $2, owner_id = $3, asp_id = $4, mno_id = $5,
                                state = $6, rpid = $7, model = $8, serial = $9, firmware_version = $10, mud_url = $11,
                                pending_gaining_asp = $12, pending_requested_at = $13, pending_auto_approve_at = $14,
                                mno_status = $15, created_at = $16, updated_at = $17, version = $18
                            WHERE eid = $19 AND version = $20 RETURNING 1
                            """, binds: bindings))
                if changed != 1 {
                    throw RegistryError(.conflict, "device \(device.eid) changed meanwhile; retry")
                }
            }
            return
        }
        let statements = SQLRows.statements(
            prefix: """
                UPDATE devices AS d SET iccid = v.iccid, owner_id = v.owner_id, asp_id = v.asp_id, mno_id = v.mno_id,
                    state = v.state, rpid = v.rpid, model = v.model, serial = v.serial,
                    firmware_version = v.firmware_version, mud_url = v.mud_url,
                    pending_gaining_asp = v.pending_gaining_asp, pending_requested_at = v.pending_requested_at,
                    pending_auto_approve_at = v.pending_auto_approve_at, mno_status = v.mno_status,
                    created_at = v.created_at, updated_at = v.updated_at, version = v.version
                FROM (VALUES
                """,
            rows: devices.map(deviceValues),
            suffix: """
                ) AS v(eid, iccid, owner_id, asp_id, mno_id, state, rpid, model, serial, firmware_version, mud_url,
                    pending_gaining_asp, pending_requested_at, pending_auto_approve_at, mno_status, created_at,
                    updated_at, version)
                WHERE d.eid = v.eid AND d.version = v.version - 1 RETURNING 1
                """,
            casts: true)
        var changed = 0
        for statement in statements { changed += try await run(statement) }
        if changed != devices.count {
            throw RegistryError(.conflict, "\(devices.count - changed) of the devices changed meanwhile; retry")
        }
    }

    /// Job item results: each item must still be pending (an item is processed exactly once, across nodes).
    static func updateJobItems(_ items: [JobItem], run: (PostgresQuery) async throws -> Int) async throws {
        guard !items.isEmpty else { return }
        let distinct = Set(items.map { "\($0.jobID)#\($0.index)" }).count == items.count
        if items.count < 4 || !distinct {
            for item in items {
                let changed = try await run(
                    """
                    UPDATE job_items SET status = \(item.status.rawValue), error_code = \(item.errorCode),
                        message = \(item.message)
                    WHERE job_id = \(item.jobID) AND idx = \(Int64(item.index)) AND status = 'pending' RETURNING 1
                    """)
                if changed != 1 {
                    throw RegistryError(.conflict, "job item \(item.jobID)#\(item.index) was processed meanwhile")
                }
            }
            return
        }
        let statements = SQLRows.statements(
            prefix: """
                UPDATE job_items AS j SET status = v.status, error_code = v.error_code, message = v.message
                FROM (VALUES
                """,
            rows: items.map {
                [.text($0.jobID), .int($0.index), .text($0.status.rawValue), .text($0.errorCode), .text($0.message)]
            },
            suffix: """
                ) AS v(job_id, idx, status, error_code, message)
                WHERE j.job_id = v.job_id AND j.idx = v.idx AND j.status = 'pending' RETURNING 1
                """,
            casts: true)
        var changed = 0
        for statement in statements { changed += try await run(statement) }
        if changed != items.count {
            throw RegistryError(.conflict, "\(items.count - changed) of the job items were processed meanwhile")
        }
    }

    static func deviceValues(_ device: Device) -> [SQLValue] {
        [
            .text(device.eid.digits), .text(device.iccid.digits), .text(device.ownerID), .text(device.aspID),
            .text(device.mnoID), .text(device.state.rawValue), .integer(device.rpid), .text(device.model),
            .text(device.serial), .text(device.firmwareVersion), .text(device.mudURL),
            .text(device.pendingTransfer?.gainingASPID), .integer(device.pendingTransfer?.requestedAt.millis),
            .integer(device.pendingTransfer?.autoApproveAt.millis), .text(device.mnoStatus),
            .integer(device.createdAt.millis), .integer(device.updatedAt.millis), .integer(device.version),
        ]
    }
}
