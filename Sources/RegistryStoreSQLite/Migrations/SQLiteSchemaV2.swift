import GRDB

extension SQLiteSchema {
    /// v2: issued device certificates (serial, device, profile, issuer AKI, SPKI SHA-256, DER, validity, status
    /// `good`/`revoked`, revocation time and reason) and the
    /// certificate serial on outbox events (`certificate.issued` carries it to the DNS publisher).
    static func registerV2(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2: certificates") { db in
            try db.execute(
                sql: """
                    CREATE TABLE certificates (
                        serial TEXT PRIMARY KEY, eid TEXT NOT NULL, rpid INTEGER NOT NULL, issuer_key_id TEXT NOT NULL,
                        spki_sha256 TEXT NOT NULL, der BLOB NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,
                        status TEXT NOT NULL, revoked_at INTEGER, reason INTEGER, issued_seq INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX certificates_current ON certificates(eid, issued_seq) WHERE status = 'good';
                    CREATE INDEX certificates_revoked ON certificates(issuer_key_id, revoked_at)
                        WHERE status = 'revoked';
                    INSERT INTO counters(name, value) VALUES ('certificate', 0);
                    ALTER TABLE outbox ADD COLUMN serial TEXT;
                    """)
        }
    }
}
