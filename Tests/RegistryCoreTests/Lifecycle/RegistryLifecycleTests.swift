import Foundation
import RegistryCore
import Testing

@Suite("Device lifecycle through Registry with a real SQLite store")
struct RegistryLifecycleTests {
    @Test func registerCreatesARegisteredDeviceWithAuditAndOutbox() async throws {
        let world = try await World.make()
        let headBefore = try await world.store.auditHead()
        let device = try await world.registry.registerDevice(world.newDevice(1), by: world.asp)
        #expect(device.state == .registered)
        #expect(device.rpid == nil)
        #expect(device.aspID == world.aspA.id)
        #expect(device.ownerID == world.ownerA.id)
        #expect(device.mnoID == world.mnoA.id)
        let stored = try await world.registry.device(Fixture.eid(1), by: world.asp)
        #expect(stored == device)
        let audit = try await world.audit()
        let last = try #require(audit.last)
        #expect(last.sequence == headBefore.sequence + 1)
        #expect(last.action == "device.create")
        #expect(last.actor == "asp:\(world.aspA.id)")
        #expect(last.target == "device:\(Fixture.eid(1))")
        let event = try #require(try await world.outbox().last)
        #expect(event.kind == .deviceRegistered)
        #expect(event.eid == device.eid)
        #expect(try await world.store.profiles(eid: device.eid).isEmpty)
    }

    @Test func registeringTwiceIsRefused() async throws {
        let world = try await World.make()
        try await world.device(1)
        let before = try await world.snapshot([Fixture.eid(1)])
        await expectRefusal(.alreadyExists) {
            try await world.registry.registerDevice(world.newDevice(1), by: world.asp)
        }
        await expectRefusal(.alreadyExists) {
            try await world.registry.registerDevice(world.newDevice(1), by: world.otherASP)
        }
        #expect(try await world.snapshot([Fixture.eid(1)]) == before)
    }

    @Test func registrationValidatesTenantsAndIdentifiers() async throws {
        let world = try await World.make()
        var bad = world.newDevice(1)
        bad.owner = world.mnoA.id  // an MNO is not an owner
        await expectRefusal(.invalidInput) { try await world.registry.registerDevice(bad, by: world.asp) }
        bad = world.newDevice(1, mno: world.ownerA.id)
        await expectRefusal(.invalidInput) { try await world.registry.registerDevice(bad, by: world.asp) }
        bad = world.newDevice(1)
        bad.eid = String(bad.eid.dropLast()) + (bad.eid.hasSuffix("0") ? "1" : "0")
        await expectRefusal(.invalidInput) { try await world.registry.registerDevice(bad, by: world.asp) }
        bad = world.newDevice(1)
        bad.iccid = "89014103211118510721"
        await expectRefusal(.invalidInput) { try await world.registry.registerDevice(bad, by: world.asp) }
        #expect(try await world.store.device(eid: EID(Fixture.eid(1))) == nil)
        #expect(try await world.outbox().isEmpty)
    }

    @Test func activateMintsAProfileAndRecordsIt() async throws {
        let world = try await World.make()
        try await world.device(1)
        let eid = Fixture.eid(1)
        let headBefore = try await world.store.auditHead()
        let outboxBefore = try await world.outbox().count
        let device = try await world.registry.activate(eid, by: world.asp)
        #expect(device.state == .active)
        let rpid = try #require(device.rpid)
        let profiles = try await world.store.profiles(eid: device.eid)
        #expect(profiles.count == 1)
        #expect(profiles.first?.rpid == rpid)
        #expect(profiles.first?.status == .active)
        #expect(profiles.first?.aspID == world.aspA.id)
        let events = try await world.outbox()
        #expect(events.count == outboxBefore + 1)
        let event = try #require(events.last)
        #expect(event.kind == .deviceActivated)
        #expect(event.kind.rawValue == "device.activated")
        #expect(event.rpid == rpid)
        #expect(event.eid == device.eid)
        let audit = try await world.audit()
        #expect(audit.count == Int(headBefore.sequence) + 1)
        #expect(audit.last?.action == "device.activate")
        #expect(audit.last?.details.contains("\"rpid\":\"\(rpid)\"") == true)
        #expect(try await world.store.device(eid: device.eid) == device)
    }

    @Test func deactivateRevokesTheProfileAndReactivateMintsAHigherOne() async throws {
        let world = try await World.make()
        let active = try await world.device(1, in: .active)
        let eid = active.eid.digits
        let first = try #require(active.rpid)

        let deactivated = try await world.registry.apply(.deactivate, to: eid, by: world.asp)
        #expect(deactivated.state == .deactivated)
        #expect(deactivated.rpid == nil)
        var profiles = try await world.store.profiles(eid: active.eid)
        #expect(profiles.map(\.status) == [.revoked])
        #expect(profiles.first?.revocationReason == "deactivate")
        #expect(profiles.first?.revokedAt != nil)
        var event = try #require(try await world.outbox().last)
        #expect(event.kind == .deviceDeactivated)
        #expect(event.previousRPID == first)
        #expect(event.rpid == nil)
        #expect(try await world.registry.device(eid, by: world.asp).state == .deactivated)  // still listed

        let reactivated = try await world.registry.activate(eid, by: world.asp)
        #expect(reactivated.state == .active)
        let second = try #require(reactivated.rpid)
        #expect(second > first)
        profiles = try await world.store.profiles(eid: active.eid)
        #expect(profiles.map(\.rpid) == [first, second])
        #expect(profiles.map(\.status) == [.revoked, .active])
        event = try #require(try await world.outbox().last)
        #expect(event.kind == .deviceReactivated)
        #expect(event.rpid == second)
        #expect(try await world.audit().last?.action == "device.reactivate")
    }

    @Test func rekeyReplacesTheProfile() async throws {
        let world = try await World.make()
        let active = try await world.device(1, in: .active)
        let old = try #require(active.rpid)
        let rekeyed = try await world.registry.apply(.rekey, to: active.eid.digits, by: world.asp)
        #expect(rekeyed.state == .active)
        let new = try #require(rekeyed.rpid)
        #expect(new > old)
        let profiles = try await world.store.profiles(eid: active.eid)
        #expect(profiles.map(\.rpid) == [old, new])
        #expect(profiles.map(\.status) == [.revoked, .active])
        #expect(profiles.first?.revocationReason == "rekey")
        let event = try #require(try await world.outbox().last)
        #expect(event.kind == .deviceRekeyed)
        #expect(event.previousRPID == old)
        #expect(event.rpid == new)
    }

    @Test func deleteOnlyFromDeactivatedThenGoneAndReRegistrable() async throws {
        let world = try await World.make()
        let active = try await world.device(1, in: .active)
        let eid = active.eid.digits
        let before = try await world.snapshot([eid])
        let refusal = await expectRefusal(.invalidTransition) {
            try await world.registry.apply(.delete, to: eid, by: world.asp)
        }
        #expect(refusal?.reason.contains("active") == true)
        #expect(try await world.snapshot([eid]) == before)

        try await world.registry.apply(.deactivate, to: eid, by: world.asp)
        let deleted = try await world.registry.apply(.delete, to: eid, by: world.asp)
        #expect(deleted.state == .deleted)
        #expect(try await world.outbox().last?.kind == .deviceDeleted)
        for principal in [world.asp, world.owner, world.mno, Principal.registryOperator] {
            await expectRefusal(.notFound) { try await world.registry.device(eid, by: principal) }
        }
        await expectRefusal(.notFound) { try await world.registry.publicStatus(eid) }
        #expect(try await world.registry.listDevices(state: nil, after: nil, limit: 10, by: world.asp).isEmpty)
        // A deleted device accepts nothing, and answers as if it never existed.
        for event in DeviceEvent.allCases {
            await expectRefusal(.notFound) { try await world.registry.apply(event, to: eid, by: world.asp) }
        }

        let again = try await world.registry.registerDevice(world.newDevice(1), by: world.otherASP)
        #expect(again.state == .registered)
        #expect(again.aspID == world.aspB.id)
        #expect(again.rpid == nil)
        let activated = try await world.registry.activate(eid, by: world.otherASP)
        #expect(try #require(activated.rpid) > (active.rpid ?? .max))
    }

    /// Every transition the table refuses, tried through the registry from each reachable state, changes nothing.
    @Test(arguments: [DeviceState.registered, .active, .deactivated])
    func refusedTransitionsChangeNothing(_ state: DeviceState) async throws {
        let world = try await World.make()
        let device = try await world.device(1, in: state)
        let eid = device.eid.digits
        let allowed = Set(DeviceLifecycle.allowedEvents(in: state))
        for event in DeviceEvent.allCases where !allowed.contains(event) {
            let before = try await world.snapshot([eid])
            let refusal = await expectRefusal(.invalidTransition) {
                try await world.registry.apply(event, to: eid, by: world.asp)
            }
            #expect(refusal?.reason.contains(state.rawValue) == true, "\(event): \(refusal?.reason ?? "")")
            #expect(try await world.snapshot([eid]) == before, "\(event) from \(state) changed something")
        }
    }

    @Test func transferEventsAreNotApplicableDirectly() async throws {
        // request/complete/reject/cancel go through the transfer use cases (they need a code or a pending request).
        let world = try await World.make(configuration: RegistryConfiguration(transferPolicy: .window(seconds: 60)))
        let device = try await world.device(1, in: .active)
        let before = try await world.snapshot([device.eid.digits])
        await expectRefusal(.invalidTransition) {
            try await world.registry.rejectTransfer(device.eid.digits, by: world.asp)
        }
        #expect(try await world.snapshot([device.eid.digits]) == before)
    }

    @Test func rpidsStrictlyGrowAcrossDevicesAndEvents() async throws {
        let world = try await World.make()
        var seen: [Int64] = []
        for n in 1...6 {
            let device = try await world.device(n, in: .active)
            seen.append(try #require(device.rpid))
            if n.isMultiple(of: 2) {
                seen.append(
                    try #require(try await world.registry.apply(.rekey, to: Fixture.eid(n), by: world.asp).rpid))
            }
        }
        try await world.registry.apply(.deactivate, to: Fixture.eid(1), by: world.asp)
        seen.append(try #require(try await world.registry.activate(Fixture.eid(1), by: world.asp).rpid))
        #expect(seen == seen.sorted())
        #expect(Set(seen).count == seen.count)
        // Only one live profile per device.
        for n in 1...6 {
            let live = try await world.store.profiles(eid: EID(Fixture.eid(n))).filter { $0.status == .active }
            #expect(live.count == 1)
            #expect(live.first?.rpid == (try await world.store.device(eid: EID(Fixture.eid(n))))?.rpid)
        }
    }

    @Test func updateChangesTheRecordAndBumpsTheVersion() async throws {
        let world = try await World.make()
        let device = try await world.device(1)
        let updated = try await world.registry.updateDevice(
            device.eid.digits, patch: DevicePatch(owner: world.ownerB.id, firmwareVersion: "2.0"), by: world.asp)
        #expect(updated.ownerID == world.ownerB.id)
        #expect(updated.firmwareVersion == "2.0")
        #expect(updated.version == device.version + 1)
        #expect(try await world.store.device(eid: device.eid) == updated)
        #expect(try await world.audit().last?.action == "device.update")
        let before = try await world.snapshot([device.eid.digits])
        await expectRefusal(.invalidInput) {
            try await world.registry.updateDevice(
                device.eid.digits, patch: DevicePatch(mno: world.aspB.id), by: world.asp)
        }
        #expect(try await world.snapshot([device.eid.digits]) == before)
    }

    @Test func auditChainStaysIntactThroughTheLifecycle() async throws {
        let world = try await World.make()
        try await world.device(1, in: .deleted)
        try await world.device(2, in: .active)
        let verification = try await world.registry.verifyAudit()
        #expect(verification.isIntact, "\(verification.problem ?? "")")
        #expect(verification.entriesChecked == (try await world.store.auditHead()).sequence)
    }
}
