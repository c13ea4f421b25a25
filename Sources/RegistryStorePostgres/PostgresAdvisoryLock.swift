import Foundation
import Logging
import NIOCore
import PostgresNIO
import RegistryCore

/// A PostgreSQL session-level advisory lock on a connection of its own: "exactly one DNS signer at a time".
///
/// The lock belongs to the database session, not to a transaction: the holder keeps it while its connection
/// lives, and PostgreSQL frees it the moment that session ends (the node exits, is killed, or its connection drops),
/// so a standby that keeps calling ``tryAcquire()`` takes over within one polling interval. Keys are scoped to the
/// database, so registries in different databases never contend.
public actor PostgresAdvisoryLock {
    /// The 64-bit key passed to `pg_try_advisory_lock`.
    public nonisolated let key: Int64
    private let url: PostgresDatabaseURL
    private var connection: PostgresConnection?
    /// The session of the last try that did not get the lock, kept for the next try (a standby asks every second;
    /// a new session each time would cost a connection setup, and an authentication, per second per node).
    private var spare: PostgresConnection?
    private let logger = Logger(label: "iotreg.store.postgres.lock", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The lock for `name` (for example "dns-signer") in the database at `url`; nothing is taken yet.
    public init(url: PostgresDatabaseURL, name: String) {
        self.url = url
        key = Self.key(named: name)
    }

    /// A stable key for a name: FNV-1a over its UTF-8 bytes, the same on every node and every run.
    public static func key(named name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Takes the lock if nobody holds it; returns whether this node holds it now (true again if it already did).
    public func tryAcquire() async throws -> Bool {
        if connection != nil, await isHeld() { return true }
        let connection: PostgresConnection
        if let spare, !spare.isClosed {
            connection = spare
            self.spare = nil
        } else {
            do {
                connection = try await PostgresConnection.connect(
                    configuration: try url.connectionConfiguration(), id: 1, logger: logger)
            } catch {
                throw PostgresRegistryStore.registryError(error)
            }
        }
        do {
            let rows = try await PostgresRegistryStore.rows(
                "SELECT pg_try_advisory_lock(\(key)) AS locked", on: connection, logger: logger)
            if try rows.first?["locked"].decode(Bool.self) == true {
                self.connection = connection
                return true
            }
        } catch {
            Self.abandon(connection)
            throw PostgresRegistryStore.registryError(error)
        }
        spare = connection
        return false
    }

    /// Whether the lock is still ours: asks the server over the holding session. False means the session is gone
    /// (and with it the lock): the caller must stop acting as the holder at once.
    public func isHeld() async -> Bool {
        guard let connection else { return false }
        if !connection.isClosed {
            do {
                let rows = try await PostgresRegistryStore.rows(
                    """
                    SELECT count(*) AS held FROM pg_locks
                    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
                        AND ((classid::bigint << 32) | objid::bigint) = \(key)
                    """, on: connection, logger: logger)
                if try rows.first?["held"].decode(Int64.self) ?? 0 > 0 { return true }
            } catch {}
        }
        self.connection = nil
        Self.abandon(connection)
        return false
    }

    /// Closes a session without waiting for a server that may be gone.
    private static func abandon(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        // The connection must outlive its close (PostgresNIO checks that in deinit).
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Gives the lock up and closes its session.
    public func release() async {
        if let spare {
            self.spare = nil
            Self.abandon(spare)
        }
        guard let connection else { return }
        self.connection = nil
        if !connection.isClosed {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
        }
        Self.abandon(connection)
    }
}
