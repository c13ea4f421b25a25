import Foundation
import PostgresNIO
import RegistryCore
import RegistryStorePostgres
import Testing

@Suite struct PostgresMigrationTests {
    /// The same identifiers as SQLiteSchema's, so both engines report one schema history.
    static let identifiers = [
        "v1: tenants, devices, profiles, transfers, jobs, audit, outbox",
        "v2: certificates",
        "v3: outbox consumers",
        "v4: mno tasks, payloads, esim keys, webhooks",
        "v5: MNO tasks offered oldest first",
        "v6: outbox cursors",
    ]

    @Test(
        "migrations are versioned, recorded once, and safe when nodes start together",
        .enabled(if: TestDatabase.isAvailable))
    func versioned() async throws {
        try await TestDatabase.with { url in
            let first = try PostgresRegistryStore(url: url, maximumConnections: 2)
            let second = try PostgresRegistryStore(url: url, maximumConnections: 2)
            async let a: Void = first.migrate()
            async let b: Void = second.migrate()
            _ = try await (a, b)
            try await first.migrate()
            #expect(try await first.appliedMigrations() == Self.identifiers)
            await first.shutdown()
            await second.shutdown()
        }
    }

    @Test("the audit log is append-only in the database itself", .enabled(if: TestDatabase.isAvailable))
    func appendOnly() async throws {
        try await TestDatabase.with { url in
            let store = try PostgresRegistryStore(url: url, maximumConnections: 2)
            try await store.migrate()
            var changes = ChangeSet()
            changes.audit = [AuditDraft(at: Date(), actor: "t", action: "device.create", target: "device:1")]
            try await store.commit(changes)
            await store.shutdown()
            for statement in [
                "UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log",
            ] {
                await #expect(throws: PSQLError.self, "\(statement) must be refused") {
                    try await TestDatabase.admin(url) { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
                    }
                }
            }
        }
    }

    @Test("database URLs parse as libpq's, and the password never shows")
    func urls() throws {
        let url = try PostgresDatabaseURL("postgres://reg:s%40cret@db.example:6543/iotreg?sslmode=require")
        #expect(url.host == "db.example" && url.port == 6543 && url.username == "reg")
        #expect(url.password == "s@cret" && url.database == "iotreg" && url.sslMode == "require")
        #expect(!url.description.contains("cret"))
        #expect(try PostgresDatabaseURL("postgresql://127.0.0.1/x").port == 5432)
        for bad in ["mysql://h/db", "postgres:///db", "postgres://h/db?sslmode=allow", "not a url"] {
            #expect(throws: RegistryError.self, "\(bad)") { try PostgresDatabaseURL(bad) }
        }
    }
}
