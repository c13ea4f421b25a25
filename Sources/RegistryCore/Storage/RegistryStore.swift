public import Foundation

/// The registry's storage: one protocol, one implementation per engine (SQLite embedded, PostgreSQL to scale out).
///
/// The core computes every change and hands the store a ``ChangeSet`` to apply atomically; reads are plain
/// queries. Every implementation must pass the same conformance battery (`RegistryStoreConformance` in
/// `RegistryTesting`), and must make a committed change durable before `commit` returns: a crash after an
/// acknowledged write loses nothing.
public protocol RegistryStore: Sendable {
    /// Creates or upgrades the schema; idempotent.
    func migrate() async throws

    /// Applies a change set in one transaction.
    ///
    /// - Throws: ``RegistryError`` `conflict` when a device update's version is stale, `alreadyExists` when an
    ///   insert collides; nothing is written then.
    func commit(_ changes: ChangeSet) async throws

    // MARK: tenants

    /// The principal a token hash belongs to.
    func principal(tokenHash: String) async throws -> Principal?
    func asp(id: String) async throws -> ASP?
    func asps(after cursor: String?, limit: Int) async throws -> [ASP]
    func namedTenant(id: String) async throws -> NamedTenant?
    func clientCertificates(aspID: String) async throws -> [ClientCertificate]

    // MARK: devices

    /// The device, whatever its state (deleted devices are returned too; callers decide what to show).
    func device(eid: EID) async throws -> Device?
    func devices(eids: [EID]) async throws -> [EID: Device]
    /// Devices matching `query`, ordered by EID, after the cursor.
    func devices(matching query: DeviceQuery) async throws -> [Device]
    func profiles(eid: EID) async throws -> [Profile]
    /// The ids of every profile each device ever had (the names the zone may still hold for it), by device;
    /// devices without one are absent. One query for many devices: the zone follows thousands per batch.
    func profileIDs(eids: [EID]) async throws -> [EID: [Int64]]
    /// Allocates `count` fresh RPIDs; they only grow, across nodes. Gaps are allowed.
    func allocateRPIDs(count: Int) async throws -> [Int64]
    /// Devices in `transferPending` whose window has closed.
    func devicesWithDueTransfers(at time: Date, limit: Int) async throws -> [Device]

    // MARK: transfer codes

    func transferCodeUse(codeHash: String, eid: EID) async throws -> TransferCodeUse?
    /// ``transferCodeUse(codeHash:eid:)`` for many devices in one round trip (a bulk transfer's batch).
    func transferCodeUses(codeHash: String, eids: [EID]) async throws -> [EID: TransferCodeUse]

    // MARK: certificates

    /// The issued certificate with this serial (lowercase hex), whatever its status.
    func certificate(serial: String) async throws -> CertificateRecord?
    /// The device's newest certificate that is still active (not revoked; it may have expired).
    func currentCertificate(eid: EID) async throws -> CertificateRecord?
    /// ``currentCertificate(eid:)`` for many devices in one round trip (a bulk job's batch).
    func currentCertificates(eids: [EID]) async throws -> [EID: CertificateRecord]
    /// Every revoked certificate an issuing CA (by key identifier, lowercase hex) signed, for its CRL.
    func revokedCertificates(issuerKeyID: String) async throws -> [CertificateRecord]

    // MARK: provisioning over the MNO channel

    func task(id: String) async throws -> MNOTask?
    /// The device's tasks, newest first.
    func tasks(eid: EID, limit: Int) async throws -> [MNOTask]
    /// The tasks of these devices that still expect an answer (`pending`, `in-flight`).
    func openTasks(eids: [EID]) async throws -> [MNOTask]
    /// Open tasks of `mnoID` whose lease or back-off has run out at `now`, oldest first.
    func offerableTasks(mnoID: String, now: Date, limit: Int) async throws -> [MNOTask]
    /// The device's newest signed payload.
    func latestPayload(eid: EID) async throws -> StoredPayload?
    func keyAgreementKey(eid: EID) async throws -> ESIMKeyAgreementKey?
    func webhook(tenantID: String) async throws -> Webhook?

    // MARK: jobs

    func job(id: String) async throws -> Job?
    func jobItems(jobID: String, after index: Int, limit: Int) async throws -> [JobItem]
    func pendingJobItems(jobID: String, limit: Int) async throws -> [JobItem]
    func unfinishedJobs() async throws -> [Job]

    // MARK: audit and outbox

    func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry]
    /// The chain head recorded with the last write: (sequence, hash).
    func auditHead() async throws -> (sequence: Int64, hash: String)
    func outboxEvents(after sequence: Int64, limit: Int) async throws -> [OutboxEvent]
    /// The sequence of the newest outbox event, 0 when there is none: where a consumer that has just read the
    /// whole database (the zone built from scratch) starts following, without reading the events before it.
    func latestOutboxSequence() async throws -> Int64
    /// Hands `process` up to `limit` events, oldest first, that `consumer` (the DNS publisher, the CA, a notifier)
    /// has not processed yet, and records them as processed for that consumer when `process` returns.
    ///
    /// Several nodes may call this at once: each event is processed once per consumer (PostgreSQL claims rows with
    /// `FOR UPDATE SKIP LOCKED`, so nodes share the work instead of waiting). When `process` throws, nothing is
    /// recorded and the events are offered again; a crash during `process` is the same, so effects outside the
    /// database must be idempotent. Returns the events processed (empty when there is nothing to do).
    func processOutbox(
        consumer: String, limit: Int, _ process: @Sendable ([OutboxEvent]) async throws -> Void
    ) async throws -> [OutboxEvent]
}

/// A filter and page for listing devices.
public struct DeviceQuery: Sendable, Hashable {
    public var aspID: String?
    public var ownerID: String?
    public var mnoID: String?
    public var state: DeviceState?
    public var includeDeleted: Bool
    /// The last EID of the previous page.
    public var after: String?
    public var limit: Int

    public init(
        aspID: String? = nil, ownerID: String? = nil, mnoID: String? = nil, state: DeviceState? = nil,
        includeDeleted: Bool = false, after: String? = nil, limit: Int = 100
    ) {
        self.aspID = aspID
        self.ownerID = ownerID
        self.mnoID = mnoID
        self.state = state
        self.includeDeleted = includeDeleted
        self.after = after
        self.limit = limit
    }
}

extension RegistryStore {
    /// One read per device; stores override it with one query.
    public func transferCodeUses(codeHash: String, eids: [EID]) async throws -> [EID: TransferCodeUse] {
        var found: [EID: TransferCodeUse] = [:]
        for eid in eids { found[eid] = try await transferCodeUse(codeHash: codeHash, eid: eid) }
        return found
    }

    /// One read per device; stores override it with one query.
    public func profileIDs(eids: [EID]) async throws -> [EID: [Int64]] {
        var found: [EID: [Int64]] = [:]
        for eid in eids {
            let ids = try await profiles(eid: eid).map(\.rpid)
            if !ids.isEmpty { found[eid] = ids }
        }
        return found
    }

    /// One read per device; stores override it with one query.
    public func currentCertificates(eids: [EID]) async throws -> [EID: CertificateRecord] {
        var found: [EID: CertificateRecord] = [:]
        for eid in eids { found[eid] = try await currentCertificate(eid: eid) }
        return found
    }
}
