import Foundation
import RegistryCore
import Synchronization
import Testing

@Suite("Bulk jobs")
struct JobTests {
    static let count = 2500
    static let configuration = RegistryConfiguration(jobBatchSize: 1000)

    final class ProgressLog: Sendable {
        private let jobs = Mutex<[Job]>([])
        func append(_ job: Job) { jobs.withLock { $0.append(job) } }
        var all: [Job] { jobs.withLock { $0 } }
    }

    func allItems(_ world: World, _ id: String, by principal: Principal) async throws -> [JobItem] {
        var items: [JobItem] = []
        var after = -1
        while true {
            let page = try await world.registry.jobItems(id: id, after: after, limit: 700, by: principal)
            guard let last = page.last else { return items }
            items += page
            after = last.index
        }
    }

    @Test func createActivateTransferTwoThousandFiveHundredDevices() async throws {
        let world = try await World.make(configuration: Self.configuration)
        let eids = (1...Self.count).map { Fixture.eid($0) }

        // 1. create: every device, plus a bad EID and a duplicate of the first item.
        var items = eids.enumerated().map { index, eid in
            JobItemInput(eid: eid, iccid: Fixture.iccid(index + 1), serial: "S\(index + 1)")
        }
        let badEID = String(eids[0].dropLast()) + (eids[0].hasSuffix("9") ? "0" : "9")
        items.insert(JobItemInput(eid: badEID, iccid: Fixture.iccid(1)), at: 10)
        items.append(JobItemInput(eid: eids[0], iccid: Fixture.iccid(1)))
        let create = try await world.registry.submitJob(
            .create, items: items, defaults: JobDefaults(owner: world.ownerA.id, mno: world.mnoA.id), by: world.asp)
        #expect(create.status == .queued)
        #expect(create.total == Self.count + 2)
        #expect(create.submitter == "asp:\(world.aspA.id)")
        #expect(try await world.registry.job(id: create.id, by: world.asp).processed == 0)

        let log = ProgressLog()
        try await world.registry.runJob(id: create.id) { log.append($0) }
        #expect(log.all.map(\.processed) == [1000, 2000, 2502])
        #expect(log.all.map(\.status) == [.running, .running, .completed])
        #expect(log.all.map { $0.succeeded + $0.failed } == log.all.map(\.processed))
        let created = try await world.registry.job(id: create.id, by: world.asp)
        #expect(created.status == .completed)
        #expect(created.processed == Self.count + 2)
        #expect(created.succeeded == Self.count)
        #expect(created.failed == 2)
        #expect(created.finishedAt != nil)

        let createItems = try await allItems(world, create.id, by: world.asp)
        #expect(createItems.count == Self.count + 2)
        #expect(createItems.map(\.index) == Array(0..<(Self.count + 2)))
        let bad = createItems[10]
        #expect(bad.status == .failed)
        #expect(bad.errorCode == RegistryError.Code.invalidInput.description)
        #expect(bad.message?.contains("check digits") == true)
        let duplicate = try #require(createItems.last)
        #expect(duplicate.status == .failed)
        #expect(duplicate.errorCode == RegistryError.Code.alreadyExists.description)
        #expect(duplicate.message?.isEmpty == false)
        #expect(createItems.filter { $0.status == .succeeded }.count == Self.count)
        #expect(createItems.allSatisfy { $0.status != .pending })

        let devices = try await world.store.devices(eids: eids.map(EID.init))
        #expect(devices.count == Self.count)
        #expect(devices.values.allSatisfy { $0.state == .registered && $0.ownerID == world.ownerA.id })
        #expect(devices[try EID(eids[41])]?.serial == "S42")
        var outbox = try await world.outbox()
        #expect(outbox.filter { $0.kind == .deviceRegistered }.count == Self.count)
        var audit = try await world.audit()
        #expect(audit.filter { $0.action == "device.create" }.count == Self.count)
        #expect(audit.contains { $0.action == "job.submit" && $0.target == "job:\(create.id)" })
        #expect(audit.contains { $0.action == "job.complete" && $0.target == "job:\(create.id)" })

        // 2. activate: every device, with the first named twice (the second time it is already active).
        let activate = try await world.registry.submitJob(
            .activate, items: (eids + [eids[0]]).map { JobItemInput(eid: $0) }, by: world.asp)
        try await world.registry.runJob(id: activate.id)
        let activated = try await world.registry.job(id: activate.id, by: .registryOperator)
        #expect(activated.succeeded == Self.count)
        #expect(activated.failed == 1)
        let activateItems = try await allItems(world, activate.id, by: world.asp)
        let wrongState = try #require(activateItems.last)
        #expect(wrongState.status == .failed)
        #expect(wrongState.errorCode == RegistryError.Code.invalidTransition.description)
        #expect(wrongState.message?.contains("active") == true)
        #expect(
            activateItems.dropLast().allSatisfy { $0.status == .succeeded && $0.message?.hasPrefix("rpid ") == true })
        let active = try await world.store.devices(eids: eids.map(EID.init))
        let rpids = active.values.compactMap(\.rpid)
        #expect(rpids.count == Self.count)
        #expect(Set(rpids).count == Self.count)
        #expect(active.values.allSatisfy { $0.state == .active })
        outbox = try await world.outbox()
        #expect(outbox.filter { $0.kind == .deviceActivated }.count == Self.count)

        // 3. transfer all of them to ASP B with one owner code.
        let code = try await world.registry.issueTransferCode(for: eids, by: world.owner)
        let transfer = try await world.registry.submitJob(
            .transfer, items: eids.map { JobItemInput(eid: $0) }, defaults: JobDefaults(authCode: code.code),
            by: world.otherASP)
        // The code is stored only as its hash.
        let pending = try await world.store.pendingJobItems(jobID: transfer.id, limit: 5)
        #expect(pending.allSatisfy { $0.input.authCode == nil && $0.input.authCodeHash == APIToken.hash(code.code) })
        try await world.registry.runJob(id: transfer.id)
        let transferred = try await world.registry.job(id: transfer.id, by: world.otherASP)
        #expect(transferred.succeeded == Self.count)
        #expect(transferred.failed == 0)
        let moved = try await world.store.devices(eids: eids.map(EID.init))
        #expect(moved.values.allSatisfy { $0.aspID == world.aspB.id && $0.state == .active })
        let newRPIDs = moved.values.compactMap(\.rpid)
        #expect(Set(newRPIDs).count == Self.count)
        #expect(newRPIDs.min()! > rpids.max()!)
        outbox = try await world.outbox()
        let completions = outbox.filter { $0.kind == .transferCompleted }
        #expect(completions.count == Self.count)
        #expect(completions.allSatisfy { $0.previousASPID == world.aspA.id && $0.previousRPID != nil })
        audit = try await world.audit()
        #expect(audit.filter { $0.action == "transfer.complete" }.count == Self.count)
        #expect(audit.allSatisfy { !$0.details.contains(code.code) })
        #expect(try await world.registry.verifyAudit().isIntact)

        // The same code again, by the same job shape: every item refused, nothing changes.
        let again = try await world.registry.submitJob(
            .transfer, items: eids.prefix(3).map { JobItemInput(eid: $0) }, defaults: JobDefaults(authCode: code.code),
            by: world.asp)
        let before = try await world.snapshot(Array(eids.prefix(3)))
        try await world.registry.runJob(id: again.id)
        let againItems = try await allItems(world, again.id, by: world.asp)
        #expect(againItems.allSatisfy { $0.errorCode == RegistryError.Code.invalidAuthorization.description })
        let after = try await world.snapshot(Array(eids.prefix(3)))
        #expect(after.devices == before.devices)
        #expect(after.profiles == before.profiles)
        #expect(after.outbox == before.outbox)
    }

    @Test func jobIsVisibleOnlyToItsSubmitterAndTheOperator() async throws {
        let world = try await World.make(configuration: Self.configuration)
        let device = try await world.device(1, in: .active)
        let job = try await world.registry.submitJob(
            .deactivate, items: [JobItemInput(eid: device.eid.digits)], by: world.asp)
        #expect(try await world.registry.job(id: job.id, by: world.asp).id == job.id)
        #expect(try await world.registry.job(id: job.id, by: .registryOperator).id == job.id)
        for principal in [world.otherASP, world.owner, world.otherOwner, world.mno, world.otherMNO, .anonymous] {
            let refusal = await expectRefusal(.notFound) { try await world.registry.job(id: job.id, by: principal) }
            let missing = await expectRefusal(.notFound) {
                try await world.registry.job(id: "job-missing", by: principal)
            }
            #expect(
                refusal?.reason.replacingOccurrences(of: job.id, with: "?")
                    == missing?.reason.replacingOccurrences(of: "job-missing", with: "?"))
            await expectRefusal(.notFound) {
                try await world.registry.jobItems(id: job.id, after: -1, limit: 10, by: principal)
            }
        }
    }

    @Test func jobSubmissionIsValidated() async throws {
        let world = try await World.make(configuration: RegistryConfiguration(jobBatchSize: 10, maxJobItems: 5))
        let headBefore = try await world.store.auditHead()
        await expectRefusal(.invalidInput) { try await world.registry.submitJob(.activate, items: [], by: world.asp) }
        await expectRefusal(.invalidInput) {
            try await world.registry.submitJob(
                .activate, items: (1...6).map { JobItemInput(eid: Fixture.eid($0)) }, by: world.asp)
        }
        #expect(try await world.store.auditHead().sequence == headBefore.sequence)
        #expect(try await world.store.unfinishedJobs().isEmpty)
        // Items missing required fields fail one by one, with a reason naming what is missing.
        let job = try await world.registry.submitJob(
            .create, items: [JobItemInput(eid: Fixture.eid(1))], by: world.asp)
        try await world.registry.runJob(id: job.id)
        let item = try #require(try await world.registry.jobItems(id: job.id, after: -1, limit: 1, by: world.asp).first)
        #expect(item.status == .failed)
        #expect(item.message?.contains("iccid") == true)
        let transfer = try await world.registry.submitJob(
            .transfer, items: [JobItemInput(eid: Fixture.eid(1))], by: world.asp)
        try await world.registry.runJob(id: transfer.id)
        let transferItem = try #require(
            try await world.registry.jobItems(id: transfer.id, after: -1, limit: 1, by: world.asp).first)
        #expect(transferItem.message?.contains("authCode") == true)
    }

    @Test func itemsInOneBatchSeeEachOther() async throws {
        // create, then in a single batch: activate, deactivate, reactivate the same device via three jobs' worth of
        // items would need three jobs; here one activate job names a device twice and one deactivated device.
        let world = try await World.make(configuration: Self.configuration)
        try await world.device(1)
        let deactivated = try await world.device(2, in: .deactivated)
        let job = try await world.registry.submitJob(
            .activate, items: [Fixture.eid(1), Fixture.eid(1), deactivated.eid.digits].map { JobItemInput(eid: $0) },
            by: world.asp)
        try await world.registry.runJob(id: job.id)
        let items = try await world.registry.jobItems(id: job.id, after: -1, limit: 10, by: world.asp)
        #expect(items.map(\.status) == [.succeeded, .failed, .succeeded])
        #expect(try await world.registry.device(deactivated.eid.digits, by: world.asp).state == .active)
        #expect(try await world.registry.verifyAudit().isIntact)
    }

    /// The stored hash of a transfer code is not a credential: a job item carrying `authCodeHash` without the code
    /// (what someone who read the database could send) transfers nothing.
    @Test func aCodeHashIsNotACode() async throws {
        let world = try await World.make(configuration: Self.configuration)
        let eid = try await world.device(1, in: .active).eid.digits
        let code = try await world.registry.issueTransferCode(for: [eid], by: world.owner)
        let before = try await world.snapshot([eid])
        for defaults in [JobDefaults(), JobDefaults(authCode: "tc-wrong")] {
            let job = try await world.registry.submitJob(
                .transfer, items: [JobItemInput(eid: eid, authCodeHash: APIToken.hash(code.code))], defaults: defaults,
                by: world.otherASP)
            try await world.registry.runJob(id: job.id)
            let item = try #require(
                try await world.registry.jobItems(id: job.id, after: -1, limit: 1, by: world.otherASP).first)
            #expect(item.status == .failed)
        }
        let after = try await world.snapshot([eid])
        #expect(after.devices == before.devices)
        #expect(after.profiles == before.profiles)
        #expect(after.outbox == before.outbox)
        #expect(try await world.store.transferCodeUse(codeHash: APIToken.hash(code.code), eid: EID(eid))?.usedAt == nil)
    }
}
