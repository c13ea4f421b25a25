import Foundation
import GRDB
import PeerTesting
import RegistryCore
import RegistryStoreSQLite
import Synchronization
import Testing

/// A store that dies after a number of successful commits, like a process killed mid-job.
///
/// `applyFatalCommit` chooses where the crash lands: before the fatal commit reaches the database, or after it is
/// durable but before the caller hears back (the harder case: the work is done, the process does not know).
final class CrashingStore: RegistryStore {
    struct SimulatedCrash: Error {}

    let base: any RegistryStore
    let applyFatalCommit: Bool
    private let remaining: Mutex<Int>
    /// Runs before each read of the audit chain (`true` for the head, `false` for a page of entries): another
    /// writer committing meanwhile, as a live node does.
    let beforeAuditRead: (@Sendable (_ head: Bool) async throws -> Void)?

    init(
        base: any RegistryStore, commitsBeforeCrash: Int, applyFatalCommit: Bool,
        beforeAuditRead: (@Sendable (_ head: Bool) async throws -> Void)? = nil
    ) {
        self.base = base
        self.applyFatalCommit = applyFatalCommit
        self.remaining = Mutex(commitsBeforeCrash)
        self.beforeAuditRead = beforeAuditRead
    }

    var crashed: Bool { remaining.withLock { $0 < 0 } }

    func commit(_ changes: ChangeSet) async throws {
        let left = remaining.withLock { value -> Int in
            value -= 1
            return value
        }
        if left < 0 {
            if applyFatalCommit && left == -1 { try await base.commit(changes) }
            throw SimulatedCrash()
        }
        try await base.commit(changes)
    }

    func migrate() async throws { try await base.migrate() }
    func principal(tokenHash: String) async throws -> Principal? { try await base.principal(tokenHash: tokenHash) }
    func asp(id: String) async throws -> ASP? { try await base.asp(id: id) }
    func asps(after cursor: String?, limit: Int) async throws -> [ASP] {
        try await base.asps(after: cursor, limit: limit)
    }
    func namedTenant(id: String) async throws -> NamedTenant? { try await base.namedTenant(id: id) }
    func clientCertificates(aspID: String) async throws -> [ClientCertificate] {
        try await base.clientCertificates(aspID: aspID)
    }
    func device(eid: EID) async throws -> Device? { try await base.device(eid: eid) }
    func devices(eids: [EID]) async throws -> [EID: Device] { try await base.devices(eids: eids) }
    func devices(matching query: DeviceQuery) async throws -> [Device] { try await base.devices(matching: query) }
    func profiles(eid: EID) async throws -> [Profile] { try await base.profiles(eid: eid) }
    func allocateRPIDs(count: Int) async throws -> [Int64] { try await base.allocateRPIDs(count: count) }
    func devicesWithDueTransfers(at time: Date, limit: Int) async throws -> [Device] {
        try await base.devicesWithDueTransfers(at: time, limit: limit)
    }
    func transferCodeUse(codeHash: String, eid: EID) async throws -> TransferCodeUse? {
        try await base.transferCodeUse(codeHash: codeHash, eid: eid)
    }
    func certificate(serial: String) async throws -> CertificateRecord? { try await base.certificate(serial: serial) }
    func currentCertificate(eid: EID) async throws -> CertificateRecord? {
        try await base.currentCertificate(eid: eid)
    }
    func revokedCertificates(issuerKeyID: String) async throws -> [CertificateRecord] {
        try await base.revokedCertificates(issuerKeyID: issuerKeyID)
    }
    func task(id: String) async throws -> MNOTask? { try await base.task(id: id) }
    func tasks(eid: EID, limit: Int) async throws -> [MNOTask] { try await base.tasks(eid: eid, limit: limit) }
    func openTasks(eids: [EID]) async throws -> [MNOTask] { try await base.openTasks(eids: eids) }
    func offerableTasks(mnoID: String, now: Date, limit: Int) async throws -> [MNOTask] {
        try await base.offerableTasks(mnoID: mnoID, now: now, limit: limit)
    }
    func latestPayload(eid: EID) async throws -> StoredPayload? { try await base.latestPayload(eid: eid) }
    func keyAgreementKey(eid: EID) async throws -> ESIMKeyAgreementKey? { try await base.keyAgreementKey(eid: eid) }
    func webhook(tenantID: String) async throws -> Webhook? { try await base.webhook(tenantID: tenantID) }
    func job(id: String) async throws -> Job? { try await base.job(id: id) }
    func jobItems(jobID: String, after index: Int, limit: Int) async throws -> [JobItem] {
        try await base.jobItems(jobID: jobID, after: index, limit: limit)
    }
    func pendingJobItems(jobID: String, limit: Int) async throws -> [JobItem] {
        try await base.pendingJobItems(jobID: jobID, limit: limit)
    }
    func unfinishedJobs() async throws -> [Job] { try await base.unfinishedJobs() }
    func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await beforeAuditRead?(false)
        return try await base.auditEntries(after: sequence, limit: limit)
    }
    func auditHead() async throws -> (sequence: Int64, hash: String) {
        try await beforeAuditRead?(true)
        return try await base.auditHead()
    }
    func outboxEvents(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await base.outboxEvents(after: sequence, limit: limit)
    }
    func latestOutboxSequence() async throws -> Int64 { try await base.latestOutboxSequence() }
    func processOutbox(
        consumer: String, limit: Int, _ process: @Sendable ([OutboxEvent]) async throws -> Void
    ) async throws -> [OutboxEvent] {
        try await base.processOutbox(consumer: consumer, limit: limit, process)
    }
}

@Suite("Crash mid-job, then resume: every item done exactly once")
struct CrashResumeTests {
    static let items = 1050
    static let configuration = RegistryConfiguration(jobBatchSize: 100)

    struct Case: CustomTestStringConvertible, Sendable {
        var commitsBeforeCrash: Int
        var applyFatalCommit: Bool
        var testDescription: String {
            "crash after \(commitsBeforeCrash) batches, fatal commit \(applyFatalCommit ? "applied" : "lost")"
        }
    }

    static let cases = [
        Case(commitsBeforeCrash: 0, applyFatalCommit: false),
        Case(commitsBeforeCrash: 4, applyFatalCommit: false),
        Case(commitsBeforeCrash: 4, applyFatalCommit: true),
        Case(commitsBeforeCrash: 10, applyFatalCommit: true),
    ]

    @Test(arguments: cases)
    func createJobResumes(_ crash: Case) async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registry.sqlite").path
        let world = try await World.make(path: path, configuration: Self.configuration)
        let eids = (1...Self.items).map { Fixture.eid($0) }
        let auditBefore = try await world.store.auditHead().sequence
        let job = try await world.registry.submitJob(
            .create, items: eids.enumerated().map { JobItemInput(eid: $1, iccid: Fixture.iccid($0 + 1)) },
            defaults: JobDefaults(owner: world.ownerA.id, mno: world.mnoA.id), by: world.asp)

        // The process that dies.
        let crashing = CrashingStore(
            base: world.store, commitsBeforeCrash: crash.commitsBeforeCrash, applyFatalCommit: crash.applyFatalCommit)
        let doomed = Registry(store: crashing, configuration: Self.configuration, clock: world.clock.function)
        await #expect(throws: CrashingStore.SimulatedCrash.self) { try await doomed.runJob(id: job.id) }
        #expect(crashing.crashed)
        let midway = try #require(try await world.store.job(id: job.id))
        let batchesDone = crash.commitsBeforeCrash + (crash.applyFatalCommit ? 1 : 0)
        #expect(midway.processed == min(Self.items, batchesDone * 100))
        let finishedBeforeCrash = batchesDone * 100 >= Self.items  // the last batch landed, the ack did not
        #expect((midway.status == .completed) == finishedBeforeCrash)

        // A new process: a fresh store on the same file, a fresh registry.
        let reopened = try SQLiteRegistryStore(path: path)
        try await reopened.migrate()
        let restarted = Registry(store: reopened, configuration: Self.configuration, clock: world.clock.function)
        #expect(try await reopened.unfinishedJobs().map(\.id) == (finishedBeforeCrash ? [] : [job.id]))
        try await restarted.resumeUnfinishedJobs()
        #expect(try await reopened.unfinishedJobs().isEmpty)

        let done = try #require(try await reopened.job(id: job.id))
        #expect(done.status == .completed)
        #expect(done.total == Self.items)
        #expect(done.processed == Self.items)
        #expect(done.succeeded == Self.items)
        #expect(done.failed == 0)
        let items = try await reopened.jobItems(jobID: job.id, after: -1, limit: 10_000)
        #expect(items.count == Self.items)
        #expect(items.allSatisfy { $0.status == .succeeded })
        #expect(try await reopened.pendingJobItems(jobID: job.id, limit: 10).isEmpty)

        let devices = try await reopened.devices(eids: eids.map(EID.init))
        #expect(devices.count == Self.items)
        #expect(devices.values.allSatisfy { $0.version == 1 && $0.state == .registered })
        let audit = try await reopened.auditEntries(after: auditBefore, limit: 100_000)
        let creates = audit.filter { $0.action == "device.create" }
        #expect(creates.count == Self.items)
        #expect(Set(creates.map(\.target)).count == Self.items)
        #expect(audit.filter { $0.action == "job.complete" }.count == 1)
        let outbox = try await reopened.outboxEvents(after: 0, limit: 100_000)
        #expect(outbox.filter { $0.kind == .deviceRegistered }.count == Self.items)
        #expect(Set(outbox.compactMap(\.eid)).count == Self.items)
        #expect(outbox.map(\.sequence) == outbox.map(\.sequence).sorted())
        let verification = try await restarted.verifyAudit()
        #expect(verification.isIntact, "\(verification.problem ?? "")")
    }

    @Test func activateJobResumesWithOneLiveProfilePerDevice() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registry.sqlite").path
        let world = try await World.make(path: path, configuration: Self.configuration)
        let count = 350
        let eids = (1...count).map { Fixture.eid($0) }
        let create = try await world.registry.submitJob(
            .create, items: eids.enumerated().map { JobItemInput(eid: $1, iccid: Fixture.iccid($0 + 1)) },
            defaults: JobDefaults(owner: world.ownerA.id, mno: world.mnoA.id), by: world.asp)
        try await world.registry.runJob(id: create.id)
        let activate = try await world.registry.submitJob(
            .activate, items: eids.map { JobItemInput(eid: $0) }, by: world.asp)

        let crashing = CrashingStore(base: world.store, commitsBeforeCrash: 1, applyFatalCommit: true)
        let doomed = Registry(store: crashing, configuration: Self.configuration, clock: world.clock.function)
        await #expect(throws: CrashingStore.SimulatedCrash.self) { try await doomed.runJob(id: activate.id) }

        let reopened = try SQLiteRegistryStore(path: path)
        try await reopened.migrate()
        let restarted = Registry(store: reopened, configuration: Self.configuration, clock: world.clock.function)
        try await restarted.resumeUnfinishedJobs()
        let job = try #require(try await reopened.job(id: activate.id))
        #expect(job.status == .completed)
        #expect(job.succeeded == count)
        #expect(job.failed == 0)
        var rpids: [Int64] = []
        for eid in try eids.map(EID.init) {
            let profiles = try await reopened.profiles(eid: eid)
            #expect(profiles.count == 1, "\(eid) has \(profiles.count) profiles")
            #expect(profiles.first?.status == .active)
            rpids += profiles.map(\.rpid)
        }
        #expect(Set(rpids).count == count)
        let outbox = try await reopened.outboxEvents(after: 0, limit: 100_000)
        #expect(outbox.filter { $0.kind == .deviceActivated }.count == count)
        #expect(try await restarted.verifyAudit().isIntact)
    }

    @Test(arguments: [false, true])
    func transferJobResumesAndUsesTheCodeOncePerDevice(_ applyFatalCommit: Bool) async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registry.sqlite").path
        let world = try await World.make(path: path, configuration: Self.configuration)
        let count = 330
        let eids = (1...count).map { Fixture.eid($0) }
        let create = try await world.registry.submitJob(
            .create, items: eids.enumerated().map { JobItemInput(eid: $1, iccid: Fixture.iccid($0 + 1)) },
            defaults: JobDefaults(owner: world.ownerA.id, mno: world.mnoA.id), by: world.asp)
        try await world.registry.runJob(id: create.id)
        let activate = try await world.registry.submitJob(
            .activate, items: eids.map { JobItemInput(eid: $0) }, by: world.asp)
        try await world.registry.runJob(id: activate.id)
        let code = try await world.registry.issueTransferCode(for: eids, by: world.owner)
        let transfer = try await world.registry.submitJob(
            .transfer, items: eids.map { JobItemInput(eid: $0) }, defaults: JobDefaults(authCode: code.code),
            by: world.otherASP)

        let crashing = CrashingStore(base: world.store, commitsBeforeCrash: 2, applyFatalCommit: applyFatalCommit)
        let doomed = Registry(store: crashing, configuration: Self.configuration, clock: world.clock.function)
        await #expect(throws: CrashingStore.SimulatedCrash.self) { try await doomed.runJob(id: transfer.id) }

        let reopened = try SQLiteRegistryStore(path: path)
        let restarted = Registry(store: reopened, configuration: Self.configuration, clock: world.clock.function)
        try await restarted.resumeUnfinishedJobs()
        let job = try #require(try await reopened.job(id: transfer.id))
        #expect(job.status == .completed)
        #expect(job.succeeded == count)
        #expect(job.failed == 0)
        for eid in try eids.map(EID.init) {
            let profiles = try await reopened.profiles(eid: eid)
            #expect(profiles.map(\.status) == [.revoked, .active])
            #expect(profiles.last?.aspID == world.aspB.id)
            #expect(try await reopened.transferCodeUse(codeHash: APIToken.hash(code.code), eid: eid)?.usedAt != nil)
        }
        let outbox = try await reopened.outboxEvents(after: 0, limit: 100_000)
        #expect(outbox.filter { $0.kind == .transferCompleted }.count == count)
        #expect(try await restarted.verifyAudit().isIntact)
    }
}

@Suite("Two registry nodes resume the same job")
struct ConcurrentResumeTests {
    @Test func twoNodesRunningOneJobDoEachItemOnce() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-two-nodes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registry.sqlite").path
        let configuration = RegistryConfiguration(jobBatchSize: 50)
        let world = try await World.make(path: path, configuration: configuration)
        let count = 600
        let eids = (1...count).map { Fixture.eid($0) }
        let job = try await world.registry.submitJob(
            .create, items: eids.enumerated().map { JobItemInput(eid: $1, iccid: Fixture.iccid($0 + 1)) },
            defaults: JobDefaults(owner: world.ownerA.id, mno: world.mnoA.id), by: world.asp)

        var nodes: [Registry] = []
        for _ in 0..<2 {
            let store = try SQLiteRegistryStore(path: path)
            try await store.migrate()
            nodes.append(Registry(store: store, configuration: configuration, clock: world.clock.function))
        }
        let runners = nodes
        let errors = await withTaskGroup(of: (any Error)?.self) { group in
            for node in runners {
                group.addTask {
                    do {
                        try await node.resumeUnfinishedJobs()
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: [String]()) { list, error in if let error { list.append("\(error)") } }
        }
        #expect(errors.isEmpty, "a node gave up: \(errors)")
        // Whatever happened, a later resume finishes the job and every item is done exactly once.
        try await world.registry.resumeUnfinishedJobs()
        let done = try #require(try await world.store.job(id: job.id))
        #expect(done.status == .completed)
        #expect(done.processed == count)
        #expect(done.succeeded == count)
        let audit = try await world.audit()
        #expect(audit.filter { $0.action == "device.create" }.count == count)
        #expect(audit.filter { $0.action == "job.complete" }.count == 1)
        #expect(try await world.outbox().filter { $0.kind == .deviceRegistered }.count == count)
        #expect(try await world.registry.verifyAudit().isIntact)
    }

    /// A job whose counters lag its items (damaged, or lost by a buggy runner) is refused, not run forever.
    @Test func inconsistentCountersAreRefusedNotSpunOn() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-counters")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registry.sqlite").path
        let world = try await World.make(path: path)
        let job = try await world.registry.submitJob(
            .create, items: [JobItemInput(eid: Fixture.eid(1), iccid: Fixture.iccid(1))],
            defaults: JobDefaults(owner: world.ownerA.id, mno: world.mnoA.id), by: world.asp)
        try await world.registry.runJob(id: job.id)
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'running', processed = 0, succeeded = 0 WHERE id = ?",
                arguments: [job.id])
        }
        let finished = TestFlag()
        let run = Task {
            defer { finished.set() }
            try await world.registry.runJob(id: job.id)
        }
        var waited = 0
        while !finished.isSet, waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        guard finished.isSet else {
            run.cancel()
            Issue.record("runJob spins on a job with no pending items")
            return
        }
        await #expect(throws: RegistryError(.unavailable, "")) { try await run.value }
        #expect(try await world.store.device(eid: EID(Fixture.eid(1)))?.version == 1)
    }
}
