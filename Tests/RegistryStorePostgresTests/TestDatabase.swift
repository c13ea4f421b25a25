import Foundation
import Logging
import PeerTesting
import PostgresNIO
import RegistryStorePostgres

/// A fresh database per test on the server named by `IOTREG_TEST_POSTGRES_URL`, so tests run in parallel.
///
/// Locally, without the variable, the tests are disabled with a printed reason; in CI (`IOTREG_REQUIRE_PEERS=1`)
/// they run and fail, so a missing server never passes silently.
enum TestDatabase {
    static let variable = "IOTREG_TEST_POSTGRES_URL"

    static var baseURL: String? { ProcessInfo.processInfo.environment[variable] }

    static var isAvailable: Bool {
        if baseURL != nil || PeerTool.peersRequired { return true }
        print("skipping: \(variable) is not set; start a server with `export \(variable)=$(scripts/postgres-test-cluster.sh)`")
        return false
    }

    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates an empty database, hands its URL to `body`, and drops it afterwards.
    static func with<T: Sendable>(_ body: (PostgresDatabaseURL) async throws -> T) async throws -> T {
        guard let text = baseURL else {
            throw TestDatabaseError("\(variable) is not set; CI must start scripts/postgres-test-cluster.sh")
        }
        let base = try PostgresDatabaseURL(text)
        let name = "iotreg_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin(base) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        do {
            let result = try await body(base.with(database: name))
            try await drop(name, base)
            return result
        } catch {
            try? await drop(name, base)
            throw error
        }
    }

    static func drop(_ name: String, _ base: PostgresDatabaseURL) async throws {
        try await admin(base) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// Runs `body` on a plain session to `url` (for statements the store does not offer).
    static func admin(_ url: PostgresDatabaseURL, _ body: (PostgresConnection) async throws -> Void) async throws {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A migrated store on a fresh database, shut down after `body`.
    static func withStore<T: Sendable>(_ body: (PostgresRegistryStore) async throws -> T) async throws -> T {
        try await withNodes(1, maximumConnections: 4) { try await body($0[0]) }
    }

    /// `count` store instances (registry nodes, each with its own pool) over one fresh migrated database.
    static func withNodes<T: Sendable>(
        _ count: Int, maximumConnections: Int = 2, _ body: ([PostgresRegistryStore]) async throws -> T
    ) async throws -> T {
        try await with { url in
            let nodes = try (0..<count).map { _ in
                try PostgresRegistryStore(url: url, maximumConnections: maximumConnections)
            }
            do {
                try await nodes[0].migrate()
                let result = try await body(nodes)
                for node in nodes { await node.shutdown() }
                return result
            } catch {
                for node in nodes { await node.shutdown() }
                throw error
            }
        }
    }
}

struct TestDatabaseError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
