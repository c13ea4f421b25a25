import Foundation

/// The view one use case (or one batch of a bulk job) plans against: store reads plus the changes planned so far.
///
/// Planning item after item against this overlay lets a batch of a thousand devices become one transaction while
/// each item still sees what the items before it did.
final class PlanContext {
    let store: any RegistryStore
    let now: Date
    private var overlay: [EID: Device] = [:]
    private var loaded: Set<EID> = []
    private var rpidPool: [Int64] = []
    private var usedCodes: Set<String> = []
    private var openTaskCache: [EID: [MNOTask]] = [:]
    /// Store reads a bulk batch made in one query: the current certificate (nil: none) and transfer-code uses.
    private var certificateCache: [EID: CertificateRecord?] = [:]
    private var codeUseCache: [String: TransferCodeUse?] = [:]

    init(store: any RegistryStore, now: Date) {
        self.store = store
        self.now = now
    }

    /// Loads many devices in one query (bulk jobs call it once per batch).
    func prefetch(_ eids: [EID]) async throws {
        let missing = eids.filter { !loaded.contains($0) }
        guard !missing.isEmpty else { return }
        let found = try await store.devices(eids: missing)
        for eid in missing {
            loaded.insert(eid)
            if let device = found[eid] { overlay[eid] = device }
        }
        let tasks = try await store.openTasks(eids: missing)
        for eid in missing where openTaskCache[eid] == nil { openTaskCache[eid] = [] }
        for task in tasks { openTaskCache[task.eid, default: []].append(task) }
    }

    /// Loads the current certificate of many devices in one query (bulk jobs that revoke or re-certify).
    func prefetchCertificates(_ eids: [EID]) async throws {
        let missing = eids.filter { certificateCache[$0] == nil }
        guard !missing.isEmpty else { return }
        let found = try await store.currentCertificates(eids: missing)
        for eid in missing { certificateCache[eid] = .some(found[eid]) }
    }

    /// The device's current certificate as of the store (certificates planned in this context excluded, as
    /// ``openTasks(_:)``: each device appears once per batch).
    func currentCertificate(_ eid: EID) async throws -> CertificateRecord? {
        if let cached = certificateCache[eid] { return cached }
        let certificate = try await store.currentCertificate(eid: eid)
        certificateCache[eid] = .some(certificate)
        return certificate
    }

    /// Loads the uses of one transfer code for many devices in one query (a bulk transfer's batch).
    func prefetchCodeUses(_ codeHash: String, eids: [EID]) async throws {
        let missing = eids.filter { codeUseCache[Self.codeKey(codeHash, $0)] == nil }
        guard !missing.isEmpty else { return }
        let found = try await store.transferCodeUses(codeHash: codeHash, eids: missing)
        for eid in missing { codeUseCache[Self.codeKey(codeHash, eid)] = .some(found[eid]) }
    }

    /// The code's use for `eid` as of the store; ``consumeCode(_:eid:)`` tracks uses planned in this context.
    func transferCodeUse(_ codeHash: String, eid: EID) async throws -> TransferCodeUse? {
        if let cached = codeUseCache[Self.codeKey(codeHash, eid)] { return cached }
        let use = try await store.transferCodeUse(codeHash: codeHash, eid: eid)
        codeUseCache[Self.codeKey(codeHash, eid)] = .some(use)
        return use
    }

    /// The device's tasks still expecting an answer, as of the store (tasks planned in this context excluded).
    func openTasks(_ eid: EID) async throws -> [MNOTask] {
        if let cached = openTaskCache[eid] { return cached }
        let tasks = try await store.openTasks(eids: [eid])
        openTaskCache[eid] = tasks
        return tasks
    }

    /// Forgets the open tasks of `eid` once a plan superseded them.
    func closeTasks(_ eid: EID) { openTaskCache[eid] = [] }

    func device(_ eid: EID) async throws -> Device? {
        if !loaded.contains(eid) {
            loaded.insert(eid)
            overlay[eid] = try await store.device(eid: eid)
        }
        return overlay[eid]
    }

    func record(_ device: Device) {
        loaded.insert(device.eid)
        overlay[device.eid] = device
    }

    /// Makes `count` RPIDs available to ``nextRPID()`` with one store round trip.
    func reserveRPIDs(_ count: Int) async throws {
        guard count > rpidPool.count else { return }
        rpidPool += try await store.allocateRPIDs(count: count - rpidPool.count)
    }

    func nextRPID() async throws -> Int64 {
        if rpidPool.isEmpty { try await reserveRPIDs(1) }
        return rpidPool.removeFirst()
    }

    /// Whether a (code, eid) pair was consumed earlier in this plan.
    func consumeCode(_ hash: String, eid: EID) -> Bool {
        usedCodes.insert(Self.codeKey(hash, eid)).inserted
    }

    /// One (transfer code, device) pair, as the code-use cache and the consumed set key it.
    private static func codeKey(_ hash: String, _ eid: EID) -> String { hash + "/" + eid.digits }
}
