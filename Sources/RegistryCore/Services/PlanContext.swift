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
        usedCodes.insert(hash + "/" + eid.digits).inserted
    }
}
