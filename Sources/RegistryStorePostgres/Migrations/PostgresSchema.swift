import Foundation

/// The PostgreSQL schema, as versioned migrations applied at start-up (never edited once released: add a new one).
///
/// The identifiers are the SQLite store's (`SQLiteSchema`), so both engines report the same schema history; the
/// tables and columns are the same too, with times as milliseconds since 1970 in `BIGINT`. Each migration runs in
/// its own transaction and is recorded in `schema_migrations`; a transaction-scoped advisory lock makes nodes that
/// start together apply each migration once.
enum PostgresSchema {
    struct Migration: Sendable {
        var identifier: String
        var sql: String

        /// The statements of `sql` one by one (the extended protocol takes one per query): a statement ends with a
        /// `;` at the end of a line, so `;` inside a function body on the same line stays inside.
        var statements: [String] {
            sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }.filter { !$0.isEmpty }
        }
    }

    /// The key of the advisory lock held while migrating (`pg_advisory_xact_lock`): "iotreg:m" as ASCII.
    static let migrationLockKey: Int64 = 0x696f_7472_6567_3a6d

    static let migrations: [Migration] = [
        Migration(
            identifier: "v1: tenants, devices, profiles, transfers, jobs, audit, outbox",
            sql: """
                CREATE TABLE tokens (
                    hash TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    tenant_id TEXT
                );
                CREATE TABLE asps (
                    id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, fqdn TEXT NOT NULL,
                    port BIGINT NOT NULL, url TEXT, protocol TEXT NOT NULL, server_certificate_pem TEXT, created_at BIGINT NOT NULL
                );
                CREATE TABLE tenants (
                    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, created_at BIGINT NOT NULL
                );
                CREATE TABLE client_certificates (
                    asp_id TEXT NOT NULL REFERENCES asps(id), sha256 TEXT NOT NULL, pem TEXT NOT NULL,
                    created_at BIGINT NOT NULL, PRIMARY KEY (asp_id, sha256)
                );
                CREATE TABLE devices (
                    eid TEXT COLLATE "C" PRIMARY KEY, iccid TEXT NOT NULL, owner_id TEXT NOT NULL,
                    asp_id TEXT NOT NULL, mno_id TEXT NOT NULL, state TEXT NOT NULL, rpid BIGINT, model TEXT,
                    serial TEXT, firmware_version TEXT, mud_url TEXT, pending_gaining_asp TEXT,
                    pending_requested_at BIGINT, pending_auto_approve_at BIGINT, mno_status TEXT,
                    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
                );
                CREATE INDEX devices_by_asp ON devices(asp_id, eid);
                CREATE INDEX devices_by_owner ON devices(owner_id, eid);
                CREATE INDEX devices_by_mno ON devices(mno_id, eid);
                CREATE INDEX devices_due_transfers ON devices(pending_auto_approve_at)
                    WHERE state = 'transfer-pending';
                CREATE TABLE profiles (
                    rpid BIGINT PRIMARY KEY, eid TEXT NOT NULL, asp_id TEXT NOT NULL, status TEXT NOT NULL,
                    created_at BIGINT NOT NULL, revoked_at BIGINT, revocation_reason TEXT
                );
                CREATE INDEX profiles_by_eid ON profiles(eid, rpid);
                CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
                INSERT INTO counters(name, value) VALUES ('rpid', 0), ('outbox', 0);
                CREATE TABLE transfer_codes (
                    hash TEXT PRIMARY KEY, owner_id TEXT NOT NULL, created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                );
                CREATE TABLE transfer_code_devices (
                    hash TEXT NOT NULL REFERENCES transfer_codes(hash), eid TEXT NOT NULL, used_at BIGINT,
                    PRIMARY KEY (hash, eid)
                );
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY, submitter TEXT NOT NULL, operation TEXT NOT NULL, status TEXT NOT NULL,
                    total BIGINT NOT NULL, processed BIGINT NOT NULL, succeeded BIGINT NOT NULL,
                    failed BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
                    finished_at BIGINT
                );
                CREATE INDEX jobs_by_created ON jobs(created_at);
                CREATE TABLE job_items (
                    job_id TEXT NOT NULL, idx BIGINT NOT NULL, status TEXT NOT NULL, eid TEXT NOT NULL,
                    iccid TEXT, owner TEXT, mno TEXT, model TEXT, serial TEXT, firmware_version TEXT,
                    mud_url TEXT, auth_code_hash TEXT, error_code TEXT, message TEXT,
                    PRIMARY KEY (job_id, idx)
                );
                CREATE INDEX job_items_pending ON job_items(job_id, idx) WHERE status = 'pending';
                CREATE TABLE audit_log (
                    seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                    target TEXT NOT NULL, details TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL
                );
                CREATE TABLE audit_head (
                    id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL
                );
                INSERT INTO audit_head(id, seq, hash)
                    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
                CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
                CREATE TABLE outbox (
                    seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL, eid TEXT,
                    asp_id TEXT, rpid BIGINT, previous_rpid BIGINT, previous_asp_id TEXT
                );
                """),
        Migration(
            identifier: "v2: certificates",
            sql: """
                CREATE TABLE certificates (
                    serial TEXT COLLATE "C" PRIMARY KEY, eid TEXT NOT NULL, rpid BIGINT NOT NULL,
                    issuer_key_id TEXT NOT NULL, spki_sha256 TEXT NOT NULL, der BYTEA NOT NULL,
                    not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, status TEXT NOT NULL, revoked_at BIGINT,
                    reason BIGINT, issued_seq BIGINT NOT NULL
                );
                CREATE INDEX certificates_current ON certificates(eid, issued_seq) WHERE status = 'good';
                CREATE INDEX certificates_revoked ON certificates(issuer_key_id, revoked_at)
                    WHERE status = 'revoked';
                INSERT INTO counters(name, value) VALUES ('certificate', 0);
                ALTER TABLE outbox ADD COLUMN serial TEXT;
                """),
        Migration(
            identifier: "v3: outbox consumers",
            sql: """
                CREATE TABLE outbox_processed (
                    consumer TEXT NOT NULL, seq BIGINT NOT NULL, processed_at BIGINT NOT NULL,
                    PRIMARY KEY (consumer, seq)
                );
                """),
        Migration(
            identifier: "v4: mno tasks, payloads, esim keys, webhooks",
            sql: """
                CREATE TABLE mno_tasks (
                    id TEXT COLLATE "C" PRIMARY KEY, mno_id TEXT NOT NULL, eid TEXT NOT NULL, kind TEXT NOT NULL,
                    state TEXT NOT NULL, attempt BIGINT NOT NULL, payload_sequence BIGINT,
                    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, available_at BIGINT NOT NULL,
                    outcome TEXT, version BIGINT NOT NULL
                );
                CREATE INDEX mno_tasks_offerable ON mno_tasks(mno_id, available_at, created_at)
                    WHERE state IN ('pending', 'in-flight');
                CREATE INDEX mno_tasks_by_eid ON mno_tasks(eid, created_at);
                CREATE TABLE payloads (
                    eid TEXT NOT NULL, sequence BIGINT NOT NULL, certificate_serial TEXT NOT NULL,
                    asp_id TEXT NOT NULL, bytes BYTEA NOT NULL, created_at BIGINT NOT NULL,
                    not_after BIGINT NOT NULL, PRIMARY KEY (eid, sequence)
                );
                CREATE TABLE esim_keys (
                    eid TEXT PRIMARY KEY, key_agreement_public_key BYTEA NOT NULL, reported_at BIGINT NOT NULL
                );
                CREATE TABLE webhooks (
                    tenant_id TEXT PRIMARY KEY, url TEXT NOT NULL, created_at BIGINT NOT NULL
                );
                """),
        // The MNO's poll takes the oldest offerable tasks: in creation order it stops after `limit` rows.
        Migration(
            identifier: "v5: MNO tasks offered oldest first",
            sql: """
                CREATE INDEX mno_tasks_oldest_offerable ON mno_tasks(mno_id, created_at, id)
                    WHERE state IN ('pending', 'in-flight');
                DROP INDEX mno_tasks_offerable;
                """),
        Migration(
            identifier: "v6: outbox cursors",
            sql: """
                CREATE TABLE outbox_cursors (consumer TEXT COLLATE "C" PRIMARY KEY, through BIGINT NOT NULL);
                """),
    ]
}
