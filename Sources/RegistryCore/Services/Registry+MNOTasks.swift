public import Foundation
import PKI

/// The MNO channel (issue 5): tasks out, results in, the signed payload to deliver, eUICC status.
///
/// A task is only ever shown to, and answered by, the MNO that serves its device: another MNO asking for it gets
/// `notFound`, exactly as if it did not exist. Answers are idempotent: the same answer twice is accepted twice
/// (the MNO may not have seen our reply); a different answer to a finished task is a `conflict`.
extension Registry {
    /// `GET /v1/mno/tasks`: hands the MNO up to `limit` tasks that are due, leasing each: unanswered, it is offered
    /// again after ``MNOTask/lease(forAttempt:)``.
    public func fetchTasks(limit: Int, by principal: Principal) async throws -> [MNOTask] {
        let mnoID = try Self.mnoID(of: principal)
        let limit = min(max(limit, 1), 500)
        return try await execute { context in
            var changes = ChangeSet()
            let leased = try await self.store.offerableTasks(mnoID: mnoID, now: context.now, limit: limit).map {
                var task = $0
                task.state = .inFlight
                task.attempt += 1
                task.availableAt = context.now + MNOTask.lease(forAttempt: task.attempt)
                task.updatedAt = context.now
                task.version += 1
                return task
            }
            changes.taskUpdates = leased
            return (changes, leased)
        }
    }

    /// `POST /v1/mno/tasks/{id}/result`: records the MNO's answer and its effect in one transaction: a CSR is
    /// checked (proof of possession) and certified, a delivery receipt completes provisioning, a wipe confirms the
    /// deactivation, a failure is retried with back-off or ends the task.
    public func submitTaskResult(_ id: String, _ result: MNOTaskResult, by principal: Principal) async throws
        -> MNOTaskAnswer
    {
        let mnoID = try Self.mnoID(of: principal)
        var request: ValidatedCSR?
        if case .csr(let bytes, let agreement) = result {
            request = try Self.parseCSR { try ValidatedCSR(pemOrDER: bytes) }
            if let agreement { try Self.checkKeyAgreementKey(agreement) }
        }
        return try await execute { context in
            guard var task = try await self.store.task(id: id), task.mnoID == mnoID || mnoID.isEmpty else {
                throw RegistryError.notFound("no task \(id) for you")
            }
            if let kind = result.kind, kind != task.kind {
                throw RegistryError.invalidInput(
                    "task \(id) is a \(task.kind.rawValue) task; answer it with outcome "
                        + "\(Self.outcomeName(for: task.kind)) or failed")
            }
            guard task.state.isOpen else {
                return (ChangeSet(), try await self.repeatedAnswer(task, result))
            }
            var changes = ChangeSet()
            var certificate: CertificateRecord?
            let actor = principal.description
            let device = try await context.device(task.eid)
            task.updatedAt = context.now
            task.version += 1
            task.state = .succeeded
            task.outcome = result.summary
            switch result {
            case .csr(_, let agreement):
                let planned = try await self.planEnroll(
                    eidText: task.eid.digits, request: try require(request, "CSR"), proof: .principal(principal),
                    renewalOnly: false, context: context)
                changes = planned.0
                certificate = planned.1
                task.outcome = "certificate \(planned.1.serial)"
                if let agreement {
                    changes.keyAgreementKeys.append(
                        ESIMKeyAgreementKey(eid: task.eid, publicKey: agreement, reportedAt: context.now))
                }
            case .delivered(let sequence):
                guard sequence == task.payloadSequence else {
                    throw RegistryError.invalidInput(
                        "task \(id) delivers payload \(task.payloadSequence ?? 0), not \(sequence)")
                }
                changes.outbox.append(
                    OutboxEvent(
                        at: context.now, kind: .payloadDelivered, eid: task.eid, aspID: device?.aspID,
                        rpid: device?.rpid
                    ))
            case .wiped:
                changes.outbox.append(
                    OutboxEvent(at: context.now, kind: .payloadWiped, eid: task.eid, aspID: device?.aspID))
            case .failed(let reason, let retry):
                guard !reason.isEmpty, reason.count <= 1000 else {
                    throw RegistryError.invalidInput("a failure needs a reason of 1 to 1000 characters")
                }
                if retry {
                    task.state = .pending
                    task.availableAt = context.now + MNOTask.lease(forAttempt: task.attempt)
                } else {
                    task.state = .failed
                    changes.outbox.append(
                        OutboxEvent(at: context.now, kind: .taskFailed, eid: task.eid, aspID: device?.aspID))
                }
            }
            changes.taskUpdates.append(task)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: actor, action: "task.\(task.kind.rawValue).\(task.state.rawValue)",
                    target: "device:\(task.eid)",
                    details: Self.details([
                        "task": task.id, "outcome": task.outcome, "attempt": String(task.attempt),
                    ])))
            return (changes, MNOTaskAnswer(task: task, certificate: certificate))
        }
    }

    /// The answer to a result for a task that is already finished: the same one again, or a conflict.
    private func repeatedAnswer(_ task: MNOTask, _ result: MNOTaskResult) async throws -> MNOTaskAnswer {
        if task.state == .superseded {
            throw RegistryError(
                .conflict, "task \(task.id) was superseded by a newer task for device \(task.eid); fetch tasks again")
        }
        switch result {
        case .csr(let bytes, _) where task.state == .succeeded:
            // Same CSR key again: answer the certificate we issued for it.
            let request = try Self.parseCSR { try ValidatedCSR(pemOrDER: bytes) }
            let serial = task.outcome.map { String($0.dropFirst("certificate ".count)) } ?? ""
            if let record = try await store.certificate(serial: serial),
                record.spkiSHA256 == Self.hex(request.subjectPublicKeyInfoSHA256)
            {
                return MNOTaskAnswer(task: task, certificate: record)
            }
        default:
            if task.outcome == result.summary { return MNOTaskAnswer(task: task, certificate: nil) }
        }
        throw RegistryError(
            .conflict,
            "task \(task.id) is already \(task.state.rawValue) (\(task.outcome ?? "no outcome")); "
                + "a different answer is refused")
    }

    /// Records a signed payload the payload builder made for the device's current certificate and queues its
    /// delivery. Returns nil when the payload is stale (the device's certificate or state moved on meanwhile):
    /// the builder then drops it, as a newer event will make the right one.
    public func recordPayload(_ payload: StoredPayload) async throws -> MNOTask? {
        try await execute { context in
            guard let device = try await context.device(payload.eid),
                [.active, .transferPending].contains(device.state),
                try await self.store.currentCertificate(eid: payload.eid)?.serial == payload.certificateSerial
            else { return (ChangeSet(), nil) }
            if let latest = try await self.store.latestPayload(eid: payload.eid), latest.sequence >= payload.sequence {
                throw RegistryError(
                    .conflict, "payload \(payload.sequence) of \(payload.eid) is not above \(latest.sequence)")
            }
            var changes = ChangeSet()
            var stored = payload
            stored.createdAt = context.now
            changes.payloadInserts.append(stored)
            try await self.planTask(
                .deliverPayload, for: device, payloadSequence: payload.sequence, changes: &changes, context: context)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: "registry", action: "payload.build", target: "device:\(payload.eid)",
                    details: Self.details([
                        "sequence": String(payload.sequence), "certificate": payload.certificateSerial,
                        "asp": payload.aspID, "bytes": String(payload.bytes.count),
                    ])))
            changes.outbox.append(
                OutboxEvent(
                    at: context.now, kind: .payloadBuilt, eid: payload.eid, aspID: payload.aspID, rpid: device.rpid,
                    serial: payload.certificateSerial))
            return (changes, changes.taskInserts.last)
        }
    }

    /// `GET /v1/devices/{eid}/payload`: the newest signed payload, for the device's MNO to deliver.
    public func currentPayload(_ eidText: String, by principal: Principal) async throws -> StoredPayload {
        let device = try await deviceForMNO(eidText, principal)
        guard [.active, .transferPending].contains(device.state),
            let payload = try await store.latestPayload(eid: device.eid)
        else {
            throw RegistryError.notFound(
                "device \(device.eid) has no payload (\(device.state); a payload exists once its certificate is issued)"
            )
        }
        return payload
    }

    /// The eSIM's key-agreement key, for sealing payload secrets.
    public func keyAgreementKey(_ eid: EID) async throws -> ESIMKeyAgreementKey? {
        try await store.keyAgreementKey(eid: eid)
    }

    /// `POST /v1/devices/{eid}/euicc-status`: the MNO says whether the eUICC is reachable.
    public func reportEUICCStatus(_ eidText: String, _ status: EUICCStatus, by principal: Principal) async throws
        -> Device
    {
        try await execute { context in
            var device = try await self.deviceForMNO(eidText, principal, context: context)
            guard device.mnoStatus != status.rawValue else { return (ChangeSet(), device) }
            var changes = ChangeSet()
            device.mnoStatus = status.rawValue
            device.updatedAt = context.now
            device.version += 1
            context.record(device)
            changes.deviceUpdates.append(device)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: principal.description, action: "device.euicc-status",
                    target: "device:\(device.eid)", details: Self.details(["status": status.rawValue])))
            return (changes, device)
        }
    }

    /// Where the device's over-the-air provisioning stands, for `GET /v1/devices/{eid}`.
    public func provisioning(of device: Device) async throws -> ProvisioningStatus {
        let tasks = try await store.tasks(eid: device.eid, limit: 10)
        let payload = try await store.latestPayload(eid: device.eid)
        return ProvisioningStatus(device: device, tasks: tasks, latestPayloadSequence: payload?.sequence)
    }

    /// The device's tasks, newest first, for its MNO, ASP, owner or the operator.
    public func tasks(_ eidText: String, by principal: Principal) async throws -> [MNOTask] {
        let device = try await device(eidText, by: principal)
        return try await store.tasks(eid: device.eid, limit: 100)
    }

    // MARK: - helpers

    /// The MNO a principal acts for; the operator acts for every MNO (empty id).
    static func mnoID(of principal: Principal) throws -> String {
        switch principal {
        case .mno(let id): return id
        case .registryOperator: return ""
        default:
            throw RegistryError.forbidden("only mobile operators fetch and answer tasks; you are \(principal.role)")
        }
    }

    func deviceForMNO(_ eidText: String, _ principal: Principal, context: PlanContext? = nil) async throws -> Device {
        let eid = try EID(eidText)
        let found: Device?
        if let context { found = try await context.device(eid) } else { found = try await store.device(eid: eid) }
        guard let device = found, device.state != .deleted else {
            throw RegistryError.notFound("no device \(eid) visible to you")
        }
        switch principal {
        case .registryOperator: return device
        case .mno(let id) where id == device.mnoID: return device
        case .mno: throw RegistryError.notFound("no device \(eid) on your network")
        default: throw RegistryError.forbidden("only the device's MNO does this; you are \(principal.role)")
        }
    }

    static func checkKeyAgreementKey(_ bytes: [UInt8]) throws {
        guard bytes.count == 65, bytes.first == 0x04 else {
            throw RegistryError.invalidInput(
                "keyAgreementPublicKey must be the 65-byte uncompressed P-256 point (X9.63, 04‖X‖Y), base64")
        }
    }

    static func outcomeName(for kind: MNOTask.Kind) -> String {
        switch kind {
        case .generateKey: "csr"
        case .deliverPayload: "delivered"
        case .wipe: "wiped"
        }
    }
}

/// Where a device's over-the-air provisioning stands: what the MNO is asked to do, and what it did last.
public struct ProvisioningStatus: Sendable {
    /// `not-started`, `awaiting-key`, `delivering`, `wiping`, `delivered`, `wiped`, `failed`, `idle`.
    public var stage: String
    /// What the MNO last said of the eUICC (`online`, `active`, `unreachable`), if anything.
    public var euicc: String?
    public var latestPayloadSequence: Int64?
    /// The device's recent tasks, newest first.
    public var tasks: [MNOTask]

    init(device: Device, tasks: [MNOTask], latestPayloadSequence: Int64?) {
        self.euicc = device.mnoStatus
        self.latestPayloadSequence = latestPayloadSequence
        self.tasks = tasks
        let live = tasks.first { $0.state != .superseded }
        switch (device.state, live?.kind, live?.state) {
        case (.registered, _, _): stage = "not-started"
        case (_, .generateKey?, let state?) where state.isOpen: stage = "awaiting-key"
        case (_, .deliverPayload?, let state?) where state.isOpen: stage = "delivering"
        case (_, .wipe?, let state?) where state.isOpen: stage = "wiping"
        case (_, .deliverPayload?, .succeeded?): stage = "delivered"
        case (_, .wipe?, .succeeded?): stage = "wiped"
        case (_, _, .failed?): stage = "failed"
        case (_, .generateKey?, .succeeded?): stage = "building-payload"
        default: stage = "idle"
        }
    }
}
