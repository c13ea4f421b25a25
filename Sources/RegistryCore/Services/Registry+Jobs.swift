public import Foundation

/// Values that apply to every item of a job unless an item says otherwise.
public struct JobDefaults: Sendable, Codable, Hashable {
    public var owner: String?
    public var mno: String?
    public var authCode: String?

    public init(owner: String? = nil, mno: String? = nil, authCode: String? = nil) {
        self.owner = owner
        self.mno = mno
        self.authCode = authCode
    }
}

extension Registry {
    /// Queues a bulk operation; ``runJob(id:)`` (started by the server, resumed after a restart) does the work.
    ///
    /// The job and all its items are stored in one transaction before this returns, so an accepted job is never
    /// lost; items run in batches, each batch one transaction that also records the items' outcomes, so after a
    /// crash every item is done exactly once.
    public func submitJob(
        _ operation: JobOperation, items: [JobItemInput], defaults: JobDefaults = .init(), by principal: Principal
    ) async throws -> Job {
        switch principal {
        case .asp: break
        case .owner:
            guard operation == .deactivate else {
                throw RegistryError.forbidden("an owner's bulk job may only deactivate; \(operation) is the ASP's")
            }
        default:
            throw RegistryError.forbidden("bulk jobs are for ASPs and owners; you are \(principal.role)")
        }
        guard !items.isEmpty else { throw RegistryError.invalidInput("a job needs at least one item") }
        guard items.count <= configuration.maxJobItems else {
            throw RegistryError.invalidInput("a job may carry at most \(configuration.maxJobItems) items")
        }
        let job = Job(
            id: RandomText.identifier(prefix: "job"), submitter: principal.description, operation: operation,
            status: .queued, total: items.count, createdAt: now, updatedAt: now)
        var changes = ChangeSet()
        changes.jobInserts.append(job)
        changes.jobItemInserts = items.enumerated().map { index, item in
            var item = item
            item.owner = item.owner ?? defaults.owner
            item.mno = item.mno ?? defaults.mno
            // Only a presented code counts: a caller-supplied hash (read from a database) is no credential.
            item.authCodeHash = (item.authCode ?? defaults.authCode).map(APIToken.hash)
            item.authCode = nil
            return JobItem(jobID: job.id, index: index, input: item)
        }
        changes.audit.append(
            AuditDraft(
                at: now, actor: principal.description, action: "job.submit", target: "job:\(job.id)",
                details: Self.details(["operation": operation.rawValue, "items": String(items.count)])))
        try await store.commit(changes)
        return job
    }

    /// A job, visible to its submitter and the operator.
    public func job(id: String, by principal: Principal) async throws -> Job {
        guard let job = try await store.job(id: id),
            principal == .registryOperator || job.submitter == principal.description
        else {
            throw RegistryError.notFound("no job '\(id)' visible to you")
        }
        return job
    }

    /// A page of a job's item results.
    public func jobItems(id: String, after index: Int, limit: Int, by principal: Principal) async throws -> [JobItem] {
        _ = try await job(id: id, by: principal)
        return try await store.jobItems(jobID: id, after: index, limit: limit)
    }

    /// Processes a job's pending items batch by batch until none is left.
    ///
    /// - Parameter progress: called after each committed batch.
    public func runJob(id: String, progress: (@Sendable (Job) -> Void)? = nil) async throws {
        guard var job = try await store.job(id: id) else { throw RegistryError.notFound("no job '\(id)'") }
        let principal = try Self.principal(fromSubmitter: job.submitter)
        var stalled = 0
        while job.status != .completed {
            let before = job
            do {
                job = try await execute { context in
                    try await self.planBatch(jobID: id, principal: principal, context: context)
                }
            } catch let error as RegistryError where error.code == .conflict || error.code == .alreadyExists {
                // Another node (several share one database) committed some of these items first: carry on with
                // what is left, and give up only if nobody is making progress.
                job = try require(try await store.job(id: id))
                stalled = job.processed == before.processed ? stalled + 1 : 0
                if stalled >= 5 { throw error }
                continue
            }
            progress?(job)
        }
    }

    /// Plans the next batch of a job's pending items (fetched here, so a retry never replays a stale batch).
    ///
    /// The batch is read before the job's counters: every runner takes the first pending items, so a runner that
    /// committed after this batch was read either overlapped it (this commit is refused) or is already counted.
    private func planBatch(jobID id: String, principal: Principal, context: PlanContext) async throws
        -> (ChangeSet, Job)
    {
        let batch = try await store.pendingJobItems(jobID: id, limit: configuration.jobBatchSize)
        var job = try require(try await self.store.job(id: id))
        if job.status == .completed { return (ChangeSet(), job) }
        guard !batch.isEmpty else {
            throw RegistryError(
                .unavailable,
                "job \(id) has no pending items but counts \(job.processed) of \(job.total) processed; its counters "
                    + "are inconsistent")
        }
        var changes = ChangeSet()
        let eids = batch.compactMap { try? EID($0.input.eid) }
        try await context.prefetch(eids)
        if job.operation != .create { try await context.prefetchCertificates(eids) }
        if job.operation == .transfer {
            for (hash, items) in Dictionary(grouping: batch, by: { $0.input.authCodeHash ?? "" }) where !hash.isEmpty {
                try await context.prefetchCodeUses(hash, eids: items.compactMap { try? EID($0.input.eid) })
            }
        }
        if [.activate, .transfer].contains(job.operation) { try await context.reserveRPIDs(batch.count) }
        for var item in batch {
            do {
                let itemChanges = try await self.planItem(job.operation, item.input, principal, context)
                changes.merge(itemChanges)
                item.status = .succeeded
                item.message = itemChanges.profileInserts.last.map { "rpid \($0.rpid)" }
                job.succeeded += 1
            } catch let error as RegistryError {
                item.status = .failed
                item.errorCode = error.code.description
                item.message = error.reason
                job.failed += 1
            }
            job.processed += 1
            changes.jobItemUpdates.append(item)
        }
        job.updatedAt = context.now
        job.status = job.processed >= job.total ? .completed : .running
        if job.status == .completed {
            job.finishedAt = context.now
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: job.submitter, action: "job.complete", target: "job:\(job.id)",
                    details: Self.details([
                        "succeeded": String(job.succeeded), "failed": String(job.failed),
                    ])))
        }
        changes.jobUpdates.append(job)
        return (changes, job)
    }

    /// Finishes every job a previous process left unfinished (called at start-up).
    public func resumeUnfinishedJobs(progress: (@Sendable (Job) -> Void)? = nil) async throws {
        for job in try await store.unfinishedJobs() {
            try await runJob(id: job.id, progress: progress)
        }
    }

    private func planItem(
        _ operation: JobOperation, _ input: JobItemInput, _ principal: Principal, _ context: PlanContext
    ) async throws -> ChangeSet {
        switch operation {
        case .create:
            guard let iccid = input.iccid, let owner = input.owner, let mno = input.mno else {
                throw RegistryError.invalidInput("a create item needs iccid, owner and mno (per item or per job)")
            }
            return try await planRegister(
                NewDevice(
                    eid: input.eid, iccid: iccid, owner: owner, mno: mno, model: input.model, serial: input.serial,
                    firmwareVersion: input.firmwareVersion, mudURL: input.mudURL),
                principal: principal, context: context)
        case .activate:
            let eid = try EID(input.eid)
            let state = try await context.device(eid)?.state
            return try await planLifecycle(
                state == .deactivated ? .reactivate : .activate, input.eid, principal: principal, context: context)
        case .reactivate:
            return try await planLifecycle(.reactivate, input.eid, principal: principal, context: context)
        case .deactivate:
            return try await planLifecycle(.deactivate, input.eid, principal: principal, context: context)
        case .delete:
            return try await planLifecycle(.delete, input.eid, principal: principal, context: context)
        case .transfer:
            guard let codeHash = input.authCodeHash ?? input.authCode.map(APIToken.hash) else {
                throw RegistryError.invalidInput("a transfer item needs authCode (per item or per job)")
            }
            return try await planTransferRequest(
                input.eid, codeHash: codeHash, principal: principal, context: context)
        }
    }

    static func principal(fromSubmitter submitter: String) throws -> Principal {
        let parts = submitter.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("asp", 2): return .asp(parts[1])
        case ("owner", 2): return .owner(parts[1])
        default: throw RegistryError.invalidInput("job submitter '\(submitter)' is not an ASP or owner")
        }
    }
}
