import Foundation
public import Logging
import PostgresNIO
public import RegistryCore

/// The store for several registry nodes over one PostgreSQL (with PostgreSQL's own replication and backups).
///
/// Semantics are the SQLite store's, checked by the same conformance battery: one transaction per ``ChangeSet``,
/// optimistic version checks on device updates (a stale plan is refused with `conflict`, never applied), the audit
/// chain extended under a row lock on its head so it stays linear whatever the number of nodes, and outbox events
/// numbered under a row lock too, so their numbers follow commit order exactly as in SQLite (a reader paging with a
/// cursor never skips an event that commits late). Commits are durable when `commit` returns
/// (`synchronous_commit` is the server's, `on` by default).
///
/// The store owns a PostgresNIO connection pool and runs it in a task of its own; call ``shutdown()`` when done.
public final class PostgresRegistryStore: RegistryStore {
    let client: PostgresClient
    let logger: Logger
    private let runTask: Task<Void, Never>
    /// Concurrent commits share one transaction, one WAL flush and one wait for the audit chain (``GroupCommit``).
    let groupCommit: GroupCommit
    /// Where the store connects (without the password).
    public let url: PostgresDatabaseURL

    /// Connects to `url` with at most `maximumConnections` sessions. Call ``migrate()`` before use.
    public init(url: PostgresDatabaseURL, maximumConnections: Int = 20, logger: Logger? = nil) throws {
        var configuration = try url.clientConfiguration()
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        self.url = url
        self.logger = logger ?? Logger(label: "iotreg.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(configuration: configuration, backgroundLogger: self.logger)
        self.client = client
        runTask = Task { await client.run() }
        groupCommit = GroupCommit(maxBatch: 64) { [logger = self.logger] changeSets in
            await Self.write(changeSets, client: client, logger: logger)
        }
    }

    /// Connects to a `postgres://` URL.
    public convenience init(url: String, maximumConnections: Int = 20, logger: Logger? = nil) throws {
        try self.init(url: PostgresDatabaseURL(url), maximumConnections: maximumConnections, logger: logger)
    }

    deinit { runTask.cancel() }

    /// Closes every connection; the store is unusable afterwards.
    public func shutdown() async {
        runTask.cancel()
        await runTask.value
    }

    // MARK: - migrations

    /// The identifiers of the applied migrations, in order (the same names as the SQLite store's).
    public func appliedMigrations() async throws -> [String] {
        try await transaction { connection in
            try await Self.createMigrationsTable(connection, logger: logger)
            return try await Self.rows(
                "SELECT identifier FROM schema_migrations ORDER BY applied_at, identifier", on: connection,
                logger: logger
            ).map { try $0["identifier"].decode(String.self) }
        }
    }

    public func migrate() async throws {
        for migration in PostgresSchema.migrations {
            try await transaction { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
                try await Self.createMigrationsTable(connection, logger: logger)
                let applied = try await Self.rows(
                    "SELECT 1 FROM schema_migrations WHERE identifier = \(migration.identifier)", on: connection,
                    logger: logger)
                guard applied.isEmpty else { return }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO schema_migrations(identifier, applied_at)
                    VALUES (\(migration.identifier), \(Date().millis))
                    """, logger: logger)
            }
        }
    }

    static func createMigrationsTable(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL
            )
            """, logger: logger)
    }

    // MARK: - sessions

    /// Runs `body` in one transaction on one pooled connection: committed when it returns, rolled back when it
    /// throws. Errors come out as ``RegistryError``.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.transaction(client: client, logger: logger, body)
    }

    static func transaction<T: Sendable>(
        client: PostgresClient, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch {
            throw Self.registryError(error)
        }
    }

    /// The rows of a read outside any explicit transaction.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            var result: [PostgresRandomAccessRow] = []
            for try await row in try await client.query(query, logger: logger) {
                result.append(row.makeRandomAccess())
            }
            return result
        } catch {
            throw Self.registryError(error)
        }
    }

    static func rows(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws
        -> [PostgresRandomAccessRow]
    {
        var result: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) {
            result.append(row.makeRandomAccess())
        }
        return result
    }

    /// Maps PostgreSQL's SQLSTATE classes to the registry's codes, as the SQLite store maps its result codes.
    static func registryError(_ error: any Error) -> any Error {
        if error is RegistryError { return error }
        if let error = error as? PSQLError {
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            switch state {
            case _ where state.hasPrefix("23"):
                return RegistryError(.alreadyExists, "an object with that identifier exists already")
            case "40001", "40P01":
                return RegistryError(.conflict, "a concurrent change won (\(message)); retry")
            case "":
                return RegistryError(.unavailable, "the database cannot be reached (\(error.code)); retry")
            default:
                return RegistryError(.unavailable, "the database refused the request: \(state) \(message)")
            }
        }
        if error is PostgresDecodingError {
            return RegistryError(.unavailable, "a database row does not decode: \(error)")
        }
        return error
    }
}

extension Date {
    /// Milliseconds since 1970: the precision every store keeps.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
