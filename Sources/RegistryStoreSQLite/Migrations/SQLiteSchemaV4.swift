import GRDB

extension SQLiteSchema {
    /// v4: the MNO channel: tasks per MNO (leased, versioned), signed payloads per device (sequence strictly
    /// increasing), the eSIM key-agreement keys sealed secrets are made for, and tenants' webhook URLs.
    static func registerV4(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4: mno tasks, payloads, esim keys, webhooks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE mno_tasks (
                        id TEXT PRIMARY KEY, mno_id TEXT NOT NULL, eid TEXT NOT NULL, kind TEXT NOT NULL,
                        state TEXT NOT NULL, attempt INTEGER NOT NULL, payload_sequence INTEGER,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, available_at INTEGER NOT NULL,
                        outcome TEXT, version INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX mno_tasks_offerable ON mno_tasks(mno_id, available_at, created_at)
                        WHERE state IN ('pending', 'in-flight');
                    CREATE INDEX mno_tasks_by_eid ON mno_tasks(eid, created_at);
                    CREATE TABLE payloads (
                        eid TEXT NOT NULL, sequence INTEGER NOT NULL, certificate_serial TEXT NOT NULL,
                        asp_id TEXT NOT NULL, bytes BLOB NOT NULL, created_at INTEGER NOT NULL,
                        not_after INTEGER NOT NULL, PRIMARY KEY (eid, sequence)
                    ) WITHOUT ROWID;
                    CREATE TABLE esim_keys (
                        eid TEXT PRIMARY KEY, key_agreement_public_key BLOB NOT NULL, reported_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE webhooks (
                        tenant_id TEXT PRIMARY KEY, url TEXT NOT NULL, created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
    }
}
