public import Foundation

/// A device registration as an ASP submits it.
public struct NewDevice: Sendable, Codable, Hashable {
    public var eid: String
    public var iccid: String
    public var owner: String
    public var mno: String
    public var model: String?
    public var serial: String?
    public var firmwareVersion: String?
    public var mudURL: String?

    public init(
        eid: String, iccid: String, owner: String, mno: String, model: String? = nil, serial: String? = nil,
        firmwareVersion: String? = nil, mudURL: String? = nil
    ) {
        self.eid = eid
        self.iccid = iccid
        self.owner = owner
        self.mno = mno
        self.model = model
        self.serial = serial
        self.firmwareVersion = firmwareVersion
        self.mudURL = mudURL
    }
}

/// Changes an ASP may make to a device's record; nil leaves a field as it is.
public struct DevicePatch: Sendable, Codable, Hashable {
    public var iccid: String?
    public var owner: String?
    public var mno: String?
    public var model: String?
    public var serial: String?
    public var firmwareVersion: String?
    public var mudURL: String?

    public init(
        iccid: String? = nil, owner: String? = nil, mno: String? = nil, model: String? = nil, serial: String? = nil,
        firmwareVersion: String? = nil, mudURL: String? = nil
    ) {
        self.iccid = iccid
        self.owner = owner
        self.mno = mno
        self.model = model
        self.serial = serial
        self.firmwareVersion = firmwareVersion
        self.mudURL = mudURL
    }
}

/// What anyone may learn about a device (RDAP-like).
public struct PublicDeviceStatus: Sendable, Codable, Hashable {
    public var eid: String
    public var state: DeviceState
    public var aspName: String?
    public var rpid: Int64?
    /// SHA-256 of the current certificate's DER (lowercase hex), as the CERT record carries it; nil without one.
    public var certificateSHA256: String?
    /// SHA-256 of the current certificate's SubjectPublicKeyInfo: the device's TLSA `3 1 1` data.
    public var spkiSHA256: String?
}

extension Registry {
    // MARK: - reads

    /// A device visible to `principal`: its sponsoring ASP, its owner, its MNO, or the operator.
    ///
    /// Anyone else gets `notFound`, exactly as for a device that does not exist: no hint leaks.
    public func device(_ eidText: String, by principal: Principal) async throws -> Device {
        let eid = try EID(eidText)
        guard let device = try await store.device(eid: eid), device.state != .deleted,
            Self.canSee(device, principal)
        else {
            throw RegistryError.notFound("no device \(eid) visible to you")
        }
        return device
    }

    /// The device's profiles, oldest first.
    public func profiles(_ eidText: String, by principal: Principal) async throws -> [Profile] {
        let device = try await device(eidText, by: principal)
        return try await store.profiles(eid: device.eid)
    }

    /// Devices the principal may see, a page at a time.
    public func listDevices(state: DeviceState?, after cursor: String?, limit: Int, by principal: Principal)
        async throws -> [Device]
    {
        var query = DeviceQuery(state: state, after: cursor, limit: limit)
        switch principal {
        case .asp(let id): query.aspID = id
        case .owner(let id): query.ownerID = id
        case .mno(let id): query.mnoID = id
        case .registryOperator: break
        case .anonymous: throw RegistryError.unauthenticated("listing devices needs a token")
        }
        if state == .deleted { return [] }
        return try await store.devices(matching: query)
    }

    /// Public status: state, sponsoring ASP's name and current profile; nothing private.
    public func publicStatus(_ eidText: String) async throws -> PublicDeviceStatus {
        let eid = try EID(eidText)
        guard let device = try await store.device(eid: eid), device.state != .deleted else {
            throw RegistryError.notFound("device \(eid) is not in the registry")
        }
        let aspName = try await store.asp(id: device.aspID)?.name
        let certificate = device.rpid == nil ? nil : try await store.currentCertificate(eid: eid)
        return PublicDeviceStatus(
            eid: eid.digits, state: device.state, aspName: aspName, rpid: device.rpid,
            certificateSHA256: certificate?.sha256, spkiSHA256: certificate?.spkiSHA256)
    }

    static func canSee(_ device: Device, _ principal: Principal) -> Bool {
        switch principal {
        case .registryOperator: true
        case .asp(let id): device.aspID == id
        case .owner(let id): device.ownerID == id
        case .mno(let id): device.mnoID == id
        case .anonymous: false
        }
    }

    // MARK: - single-device use cases

    /// Registers a device under the calling ASP (state `registered`).
    public func registerDevice(_ request: NewDevice, by principal: Principal) async throws -> Device {
        try await execute { context in
            let changes = try await self.planRegister(request, principal: principal, context: context)
            return (changes, try require(changes.deviceInserts.first ?? changes.deviceUpdates.first))
        }
    }

    /// Updates a device's record (its sponsoring ASP only).
    public func updateDevice(_ eidText: String, patch: DevicePatch, by principal: Principal) async throws -> Device {
        try await execute { context in
            let changes = try await self.planUpdate(eidText, patch: patch, principal: principal, context: context)
            let device = try await context.device(try EID(eidText))
            return (changes, try require(device))
        }
    }

    /// Applies a lifecycle event (activate, deactivate, reactivate, delete, rekey) to one device.
    public func apply(_ event: DeviceEvent, to eidText: String, by principal: Principal) async throws -> Device {
        try await execute { context in
            let changes = try await self.planLifecycle(event, eidText, principal: principal, context: context)
            let device = try await context.device(try EID(eidText))
            return (changes, try require(device))
        }
    }

    /// `activate` as the API offers it: first activation, or reactivation of a deactivated device.
    public func activate(_ eidText: String, by principal: Principal) async throws -> Device {
        let device = try await device(eidText, by: principal)
        return try await apply(device.state == .deactivated ? .reactivate : .activate, to: eidText, by: principal)
    }

    // MARK: - planning (shared by single requests and bulk jobs)

    func planRegister(_ request: NewDevice, principal: Principal, context: PlanContext) async throws -> ChangeSet {
        guard case .asp(let aspID) = principal else {
            throw RegistryError.forbidden("only an ASP registers devices; you are \(principal.role)")
        }
        let eid = try EID(request.eid)
        let iccid = try ICCID(request.iccid)
        try await requireTenant(request.owner, kind: .owner, field: "owner")
        try await requireTenant(request.mno, kind: .mno, field: "mno")
        if let mud = request.mudURL { _ = try Validate.url(mud, field: "mudURL") }
        let existing = try await context.device(eid)
        if let existing, existing.state != .deleted {
            throw RegistryError(.alreadyExists, "device \(eid) is already registered")
        }
        var device = Device(
            eid: eid, iccid: iccid, ownerID: request.owner, aspID: aspID, mnoID: request.mno,
            model: try Validate.optionalText(request.model, field: "model"),
            serial: try Validate.optionalText(request.serial, field: "serial"),
            firmwareVersion: try Validate.optionalText(request.firmwareVersion, field: "firmwareVersion"),
            mudURL: request.mudURL, createdAt: context.now, updatedAt: context.now)
        var changes = ChangeSet()
        if let existing {
            // A deleted device's EID may be registered again; the row (and its history) is reused.
            device.version = existing.version + 1
            changes.deviceUpdates.append(device)
        } else {
            changes.deviceInserts.append(device)
        }
        context.record(device)
        changes.audit.append(
            AuditDraft(
                at: context.now, actor: principal.description, action: "device.create", target: "device:\(eid)",
                details: Self.details(["owner": request.owner, "mno": request.mno, "iccid": iccid.digits])))
        changes.outbox.append(OutboxEvent(at: context.now, kind: .deviceRegistered, eid: eid, aspID: aspID))
        return changes
    }

    func planUpdate(_ eidText: String, patch: DevicePatch, principal: Principal, context: PlanContext) async throws
        -> ChangeSet
    {
        var device = try await sponsoredDevice(eidText, principal: principal, context: context)
        var changed: [String: String?] = [:]
        if let iccid = patch.iccid {
            device.iccid = try ICCID(iccid)
            changed["iccid"] = iccid
        }
        if let owner = patch.owner {
            try await requireTenant(owner, kind: .owner, field: "owner")
            device.ownerID = owner
            changed["owner"] = owner
        }
        if let mno = patch.mno {
            try await requireTenant(mno, kind: .mno, field: "mno")
            device.mnoID = mno
            changed["mno"] = mno
        }
        if let model = patch.model { device.model = try Validate.optionalText(model, field: "model") }
        if let serial = patch.serial { device.serial = try Validate.optionalText(serial, field: "serial") }
        if let firmware = patch.firmwareVersion {
            device.firmwareVersion = try Validate.optionalText(firmware, field: "firmwareVersion")
        }
        if let mud = patch.mudURL {
            device.mudURL = try Validate.url(mud, field: "mudURL")
            changed["mudURL"] = mud
        }
        device.updatedAt = context.now
        device.version += 1
        context.record(device)
        var changes = ChangeSet()
        changes.deviceUpdates.append(device)
        changes.audit.append(
            AuditDraft(
                at: context.now, actor: principal.description, action: "device.update",
                target: "device:\(device.eid)", details: Self.details(changed)))
        changes.outbox.append(
            OutboxEvent(at: context.now, kind: .deviceUpdated, eid: device.eid, aspID: device.aspID, rpid: device.rpid))
        return changes
    }

    func planLifecycle(_ event: DeviceEvent, _ eidText: String, principal: Principal, context: PlanContext)
        async throws -> ChangeSet
    {
        let eid = try EID(eidText)
        guard var device = try await context.device(eid), device.state != .deleted, Self.canSee(device, principal)
        else {
            throw RegistryError.notFound("no device \(eid) visible to you")
        }
        switch (event, principal) {
        case (_, .registryOperator): break  // DESIGN.md "Roles": the operator may do everything
        case (_, .asp(let id)) where id == device.aspID: break
        case (.deactivate, .owner(let id)) where id == device.ownerID: break
        default:
            throw RegistryError.forbidden("\(principal.role) may not \(event) device \(eid)")
        }
        let transition = try DeviceLifecycle.transition(from: device.state, on: event)
        var changes = ChangeSet()
        let previousRPID = device.rpid
        try await applyProfileEffect(
            transition.profileEffect, reason: event.rawValue, to: &device, changes: &changes, context: context)
        if transition.to == .deleted || transition.to == .deactivated {
            // Nothing outlives the device's identity: a certificate left good by an older release goes too.
            try await planCertificateRevocation(for: device, event: event.rawValue, changes: &changes, context: context)
        }
        device.state = transition.to
        device.updatedAt = context.now
        device.version += 1
        context.record(device)
        changes.deviceUpdates.append(device)
        try await planProvisioning(
            after: event, device: device, previousCertificate: nil, changes: &changes, context: context)
        let kind: OutboxEvent.Kind =
            switch event {
            case .activate: .deviceActivated
            case .reactivate: .deviceReactivated
            case .deactivate: .deviceDeactivated
            case .delete: .deviceDeleted
            case .rekey: .deviceRekeyed
            default: .deviceUpdated
            }
        changes.audit.append(
            AuditDraft(
                at: context.now, actor: principal.description, action: "device.\(event.rawValue)",
                target: "device:\(eid)",
                details: Self.details([
                    "rpid": device.rpid.map(String.init), "revokedRPID": previousRPID.map(String.init),
                    "state": device.state.rawValue,
                ])))
        changes.outbox.append(
            OutboxEvent(
                at: context.now, kind: kind, eid: eid, aspID: device.aspID, rpid: device.rpid,
                previousRPID: previousRPID))
        return changes
    }

    /// Mints or revokes profiles as a transition requires, keeping `device.rpid` on the live one.
    func applyProfileEffect(
        _ effect: DeviceLifecycle.ProfileEffect, reason: String, to device: inout Device, changes: inout ChangeSet,
        context: PlanContext
    ) async throws {
        switch effect {
        case .none:
            return
        case .revokeCurrent, .mintNew:
            if let current = device.rpid {
                changes.profileUpdates.append(
                    Profile(
                        rpid: current, eid: device.eid, aspID: "", status: .revoked, createdAt: context.now,
                        revokedAt: context.now, revocationReason: reason))
                // The profile's certificate ends with it, in the same transaction (DESIGN.md "Device lifecycle").
                try await planCertificateRevocation(for: device, event: reason, changes: &changes, context: context)
                device.rpid = nil
            }
            if effect == .mintNew {
                let rpid = try await context.nextRPID()
                changes.profileInserts.append(
                    Profile(rpid: rpid, eid: device.eid, aspID: device.aspID, status: .active, createdAt: context.now))
                device.rpid = rpid
            }
        }
    }

    /// The device if `principal` is its sponsoring ASP.
    func sponsoredDevice(_ eidText: String, principal: Principal, context: PlanContext) async throws -> Device {
        let eid = try EID(eidText)
        guard let device = try await context.device(eid), device.state != .deleted, Self.canSee(device, principal)
        else {
            throw RegistryError.notFound("no device \(eid) visible to you")
        }
        switch principal {
        case .registryOperator: return device  // DESIGN.md "Roles": the operator may do everything
        case .asp(let id) where id == device.aspID: return device
        default: throw RegistryError.forbidden("only the sponsoring ASP may change device \(eid)")
        }
    }
}

/// `#require`-like unwrapping for internal invariants that planning guarantees.
func require<T>(_ value: T?, _ what: @autoclosure () -> String = "value") throws -> T {
    guard let value else { throw RegistryError(.unavailable, "internal: missing \(what())") }
    return value
}
