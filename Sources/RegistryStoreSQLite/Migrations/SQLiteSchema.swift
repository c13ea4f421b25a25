import GRDB

/// The SQLite schema, as versioned migrations applied at start-up (never edited once released: add a new one).
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tenants, devices, profiles, transfers, jobs, audit, outbox") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tokens (
                        hash TEXT PRIMARY KEY,
                        role TEXT NOT NULL,
                        tenant_id TEXT
                    );
                    CREATE TABLE asps (
                        id TEXT PRIMARY KEY, name TEXT NOT NULL, fqdn TEXT NOT NULL, port INTEGER NOT NULL,
                        url TEXT, protocol TEXT NOT NULL, server_certificate_pem TEXT, created_at INTEGER NOT NULL
                    );
                    CREATE TABLE tenants (
                        id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL
                    );
                    CREATE TABLE client_certificates (
                        asp_id TEXT NOT NULL REFERENCES asps(id), sha256 TEXT NOT NULL, pem TEXT NOT NULL,
                        created_at INTEGER NOT NULL, PRIMARY KEY (asp_id, sha256)
                    );
                    CREATE TABLE devices (
                        eid TEXT PRIMARY KEY, iccid TEXT NOT NULL, owner_id TEXT NOT NULL, asp_id TEXT NOT NULL,
                        mno_id TEXT NOT NULL, state TEXT NOT NULL, rpid INTEGER, model TEXT, serial TEXT,
                        firmware_version TEXT, mud_url TEXT, pending_gaining_asp TEXT, pending_requested_at INTEGER,
                        pending_auto_approve_at INTEGER, mno_status TEXT, created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL, version INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX devices_by_asp ON devices(asp_id, eid);
                    CREATE INDEX devices_by_owner ON devices(owner_id, eid);
                    CREATE INDEX devices_by_mno ON devices(mno_id, eid);
                    CREATE INDEX devices_due_transfers ON devices(pending_auto_approve_at)
                        WHERE state = 'transfer-pending';
                    CREATE TABLE profiles (
                        rpid INTEGER PRIMARY KEY, eid TEXT NOT NULL, asp_id TEXT NOT NULL, status TEXT NOT NULL,
                        created_at INTEGER NOT NULL, revoked_at INTEGER, revocation_reason TEXT
                    );
                    CREATE INDEX profiles_by_eid ON profiles(eid, rpid);
                    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    INSERT INTO counters(name, value) VALUES ('rpid', 0);
                    CREATE TABLE transfer_codes (
                        hash TEXT PRIMARY KEY, owner_id TEXT NOT NULL, created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    );
                    CREATE TABLE transfer_code_devices (
                        hash TEXT NOT NULL REFERENCES transfer_codes(hash), eid TEXT NOT NULL, used_at INTEGER,
                        PRIMARY KEY (hash, eid)
                    ) WITHOUT ROWID;
                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY, submitter TEXT NOT NULL, operation TEXT NOT NULL, status TEXT NOT NULL,
                        total INTEGER NOT NULL, processed INTEGER NOT NULL, succeeded INTEGER NOT NULL,
                        failed INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                        finished_at INTEGER
                    );
                    CREATE TABLE job_items (
                        job_id TEXT NOT NULL, idx INTEGER NOT NULL, status TEXT NOT NULL, eid TEXT NOT NULL,
                        iccid TEXT, owner TEXT, mno TEXT, model TEXT, serial TEXT, firmware_version TEXT,
                        mud_url TEXT, auth_code_hash TEXT, error_code TEXT, message TEXT,
                        PRIMARY KEY (job_id, idx)
                    ) WITHOUT ROWID;
                    CREATE INDEX job_items_pending ON job_items(job_id, idx) WHERE status = 'pending';
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                        target TEXT NOT NULL, details TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL
                    );
                    CREATE TABLE audit_head (
                        id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL
                    );
                    INSERT INTO audit_head(id, seq, hash)
                        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
                    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL, eid TEXT,
                        asp_id TEXT, rpid INTEGER, previous_rpid INTEGER, previous_asp_id TEXT
                    );
                    """)
        }
        registerV2(&migrator)
        migrator.registerMigration("v3: outbox consumers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox_processed (
                        consumer TEXT NOT NULL, seq INTEGER NOT NULL, processed_at INTEGER NOT NULL,
                        PRIMARY KEY (consumer, seq)
                    ) WITHOUT ROWID;
                    """)
        }
        registerV4(&migrator)
        // The MNO's poll takes the oldest offerable tasks: walking them in creation order stops after `limit`
        // rows, where the v4 index (by availability) read every pending task and sorted them, per poll.
        migrator.registerMigration("v5: MNO tasks offered oldest first") { db in
            try db.execute(
                sql: """
                    CREATE INDEX mno_tasks_oldest_offerable ON mno_tasks(mno_id, created_at, id)
                        WHERE state IN ('pending', 'in-flight');
                    DROP INDEX mno_tasks_offerable;
                    """)
        }
        migrator.registerMigration("v6: outbox cursors") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox_cursors (consumer TEXT PRIMARY KEY, through INTEGER NOT NULL) WITHOUT ROWID;
                    """)
        }
        return migrator
    }
}
