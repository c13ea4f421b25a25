public import Foundation

/// A transfer code as handed to the owner: the text is shown once and never stored.
public struct IssuedTransferCode: Sendable {
    public var code: String
    public var eids: [EID]
    public var expiresAt: Date
}

extension Registry {
    /// Issues a one-time transfer code for one device or a set of the owner's devices.
    ///
    /// Like EPP's authInfo, the code is the owner's consent: the gaining ASP presents it. It is stored hashed and
    /// each device can be transferred with it once, before it expires.
    public func issueTransferCode(for eidTexts: [String], by principal: Principal) async throws -> IssuedTransferCode {
        guard case .owner(let ownerID) = principal else {
            throw RegistryError.forbidden("only the device owner issues transfer codes; you are \(principal.role)")
        }
        guard !eidTexts.isEmpty, eidTexts.count <= configuration.maxDevicesPerTransferCode else {
            throw RegistryError.invalidInput(
                "a transfer code covers 1 to \(configuration.maxDevicesPerTransferCode) devices")
        }
        let eids = try eidTexts.map(EID.init)
        guard Set(eids).count == eids.count else {
            throw RegistryError.invalidInput("the device list names an EID twice")
        }
        let found = try await store.devices(eids: eids)
        for eid in eids {
            guard let device = found[eid], device.state != .deleted, device.ownerID == ownerID else {
                throw RegistryError.notFound("no device \(eid) owned by you")
            }
        }
        let code = "tc-" + RandomText.base32(byteCount: 20)
        let expiresAt = now.addingTimeInterval(configuration.transferCodeLifetime)
        var changes = ChangeSet()
        changes.transferCodeInserts.append(
            TransferCode(
                hash: APIToken.hash(code), ownerID: ownerID, eids: eids, createdAt: now, expiresAt: expiresAt))
        changes.audit.append(
            AuditDraft(
                at: now, actor: principal.description, action: "transfer.code.issue",
                target: eids.count == 1 ? "device:\(eids[0])" : "devices:\(eids.count)",
                details: Self.details(["devices": String(eids.count), "expiresAt": ISO8601.string(expiresAt)])))
        try await store.commit(changes)
        return IssuedTransferCode(code: code, eids: eids, expiresAt: expiresAt)
    }

    /// The gaining ASP asks for a device with the owner's code.
    ///
    /// Under the immediate policy the device moves at once (new profile, old one revoked); under a window it
    /// becomes `transfer-pending` until the losing ASP acts or the window closes.
    public func requestTransfer(_ eidText: String, authCode: String, by principal: Principal) async throws -> Device {
        try await execute { context in
            let changes = try await self.planTransferRequest(
                eidText, codeHash: APIToken.hash(authCode), principal: principal, context: context)
            return (changes, try require(try await context.device(try EID(eidText))))
        }
    }

    /// The losing ASP approves a pending transfer.
    public func approveTransfer(_ eidText: String, by principal: Principal) async throws -> Device {
        try await settleTransfer(eidText, by: principal, as: .completeTransfer)
    }

    /// The losing ASP rejects a pending transfer.
    public func rejectTransfer(_ eidText: String, by principal: Principal) async throws -> Device {
        try await settleTransfer(eidText, by: principal, as: .rejectTransfer)
    }

    /// The gaining ASP withdraws its request.
    public func cancelTransfer(_ eidText: String, by principal: Principal) async throws -> Device {
        try await settleTransfer(eidText, by: principal, as: .cancelTransfer)
    }

    /// Approves every pending transfer whose window has closed (`serverApproved` in EPP terms).
    ///
    /// - Returns: how many transfers it completed.
    @discardableResult
    public func approveDueTransfers() async throws -> Int {
        var completed = 0
        while true {
            let due = try await store.devicesWithDueTransfers(at: now, limit: configuration.jobBatchSize)
            if due.isEmpty { return completed }
            let done = try await execute { context in
                var changes = ChangeSet()
                var done = 0
                try await context.reserveRPIDs(due.count)
                for device in due {
                    guard let current = try await context.device(device.eid), current.state == .transferPending,
                        let pending = current.pendingTransfer, pending.autoApproveAt <= context.now
                    else { continue }
                    changes.merge(
                        try await self.planCompleteTransfer(
                            current, to: pending.gainingASPID, actor: "system", context: context))
                    done += 1
                }
                return (changes, done)
            }
            // The store compares whole milliseconds, so it may list a transfer due within the next millisecond that
            // the check above skips: stop when a page completes nothing instead of asking for it forever.
            if done == 0 { return completed }
            completed += done
        }
    }

    // MARK: - planning

    func planTransferRequest(_ eidText: String, codeHash: String, principal: Principal, context: PlanContext)
        async throws -> ChangeSet
    {
        guard case .asp(let gainingID) = principal else {
            throw RegistryError.forbidden("only an ASP requests transfers; you are \(principal.role)")
        }
        let eid = try EID(eidText)
        guard var device = try await context.device(eid), device.state != .deleted else {
            throw RegistryError.notFound("device \(eid) is not in the registry")
        }
        guard device.aspID != gainingID else {
            throw RegistryError.invalidInput("you already sponsor device \(eid); nothing to transfer")
        }
        guard let use = try await context.transferCodeUse(codeHash, eid: eid),
            use.ownerID == device.ownerID
        else {
            throw RegistryError(.invalidAuthorization, "the transfer code is not valid for device \(eid)")
        }
        guard use.usedAt == nil, context.consumeCode(codeHash, eid: eid) else {
            throw RegistryError(.invalidAuthorization, "the transfer code was already used for device \(eid)")
        }
        guard use.expiresAt > context.now else {
            throw RegistryError(
                .invalidAuthorization,
                "the transfer code expired at \(ISO8601.string(use.expiresAt)); ask the owner for a new one")
        }
        var consumed = use
        consumed.usedAt = context.now
        switch configuration.transferPolicy {
        case .immediate:
            _ = try DeviceLifecycle.transition(from: device.state, on: .completeTransfer)
            guard device.state == .active else {
                throw RegistryError(.invalidTransition, "cannot transfer a device that is \(device.state)")
            }
            var changes = try await planCompleteTransfer(
                device, to: gainingID, actor: principal.description, context: context)
            changes.transferCodeUses.append(consumed)
            return changes
        case .window(let seconds):
            let transition = try DeviceLifecycle.transition(from: device.state, on: .requestTransfer)
            device.state = transition.to
            device.pendingTransfer = PendingTransfer(
                gainingASPID: gainingID, requestedAt: context.now,
                autoApproveAt: context.now.addingTimeInterval(TimeInterval(seconds)))
            device.updatedAt = context.now
            device.version += 1
            context.record(device)
            var changes = ChangeSet()
            changes.deviceUpdates.append(device)
            changes.transferCodeUses.append(consumed)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: principal.description, action: "transfer.request",
                    target: "device:\(eid)",
                    details: Self.details(["from": device.aspID, "to": gainingID])))
            changes.outbox.append(
                OutboxEvent(
                    at: context.now, kind: .transferRequested, eid: eid, aspID: gainingID, rpid: device.rpid,
                    previousASPID: device.aspID))
            return changes
        }
    }

    func planCompleteTransfer(_ device: Device, to gainingID: String, actor: String, context: PlanContext)
        async throws -> ChangeSet
    {
        var device = device
        let transition = try DeviceLifecycle.transition(from: device.state, on: .completeTransfer)
        let losingID = device.aspID
        let previousRPID = device.rpid
        var changes = ChangeSet()
        let previousCertificate = try await context.currentCertificate(device.eid)
        device.aspID = gainingID
        try await applyProfileEffect(
            transition.profileEffect, reason: "transfer", to: &device, changes: &changes, context: context)
        device.state = transition.to
        device.pendingTransfer = nil
        device.updatedAt = context.now
        device.version += 1
        context.record(device)
        changes.deviceUpdates.append(device)
        try await planProvisioning(
            after: .completeTransfer, device: device, previousCertificate: previousCertificate, changes: &changes,
            context: context)
        changes.audit.append(
            AuditDraft(
                at: context.now, actor: actor, action: "transfer.complete", target: "device:\(device.eid)",
                details: Self.details([
                    "from": losingID, "to": gainingID, "rpid": device.rpid.map(String.init),
                    "revokedRPID": previousRPID.map(String.init),
                ])))
        changes.outbox.append(
            OutboxEvent(
                at: context.now, kind: .transferCompleted, eid: device.eid, aspID: gainingID, rpid: device.rpid,
                previousRPID: previousRPID, previousASPID: losingID))
        return changes
    }

    private func settleTransfer(_ eidText: String, by principal: Principal, as event: DeviceEvent) async throws
        -> Device
    {
        try await execute { context in
            let eid = try EID(eidText)
            guard var device = try await context.device(eid), device.state != .deleted else {
                throw RegistryError.notFound("no device \(eid) visible to you")
            }
            guard case .asp(let caller) = principal else {
                // Owner, MNO and operator may see the device but only the two ASPs settle a transfer.
                guard Self.canSee(device, principal) else {
                    throw RegistryError.notFound("no device \(eid) visible to you")
                }
                throw RegistryError.forbidden(
                    "only the losing or gaining ASP settles a transfer; you are \(principal.role)")
            }
            let pending = device.pendingTransfer
            let isLosing = device.aspID == caller
            let isGaining = pending?.gainingASPID == caller
            guard isLosing || isGaining else { throw RegistryError.notFound("no device \(eid) visible to you") }
            guard let pending, device.state == .transferPending else {
                throw RegistryError(
                    .invalidTransition, "device \(eid) has no pending transfer (it is \(device.state))")
            }
            switch event {
            case .completeTransfer, .rejectTransfer:
                guard isLosing else {
                    throw RegistryError.forbidden("only the losing ASP may approve or reject the transfer")
                }
            default:
                guard isGaining else { throw RegistryError.forbidden("only the gaining ASP may cancel its request") }
            }
            if event == .completeTransfer {
                let changes = try await self.planCompleteTransfer(
                    device, to: pending.gainingASPID, actor: principal.description, context: context)
                return (changes, try require(try await context.device(eid)))
            }
            let transition = try DeviceLifecycle.transition(from: device.state, on: event)
            device.state = transition.to
            device.pendingTransfer = nil
            device.updatedAt = context.now
            device.version += 1
            context.record(device)
            var changes = ChangeSet()
            changes.deviceUpdates.append(device)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: principal.description, action: "transfer.\(event.rawValue)",
                    target: "device:\(eid)", details: Self.details(["gaining": pending.gainingASPID])))
            changes.outbox.append(
                OutboxEvent(
                    at: context.now, kind: event == .rejectTransfer ? .transferRejected : .transferCancelled,
                    eid: eid, aspID: pending.gainingASPID, rpid: device.rpid, previousASPID: device.aspID))
            return (changes, device)
        }
    }
}

/// RFC 3339 timestamps for messages and JSON.
