import RegistryStorePostgres

/// The right to sign and serve the zone: exactly one node holds it at a time.
///
/// Nodes over one PostgreSQL hold it as a session advisory lock, which the server frees the moment the holder's
/// session ends (the node exits, is killed, or loses its connection); a single node over SQLite always holds it.
protocol SignerLease: Sendable {
    /// Takes the lease if nobody holds it; true when this node holds it now.
    func tryAcquire() async throws -> Bool
    /// Whether this node still holds it (false once its session is gone: stop signing at once).
    func isHeld() async -> Bool
    /// Gives it up, so a standby takes over without waiting for the session to time out.
    func release() async
}

/// The lease of the only node there is.
struct SoleSignerLease: SignerLease {
    func tryAcquire() async throws -> Bool { true }
    func isHeld() async -> Bool { true }
    func release() async {}
}

extension PostgresAdvisoryLock: SignerLease {}
