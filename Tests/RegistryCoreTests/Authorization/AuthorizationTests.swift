import Foundation
import RegistryCore
import Testing

/// Operations x principals over a device sponsored by ASP A, owned by owner A, on MNO A (DESIGN.md "Roles").
@Suite("Authorization matrix")
struct AuthorizationTests {
    enum Who: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case registryOperator, sponsoringASP, otherASP, owner, otherOwner, deviceMNO, otherMNO, anonymous
        var testDescription: String { rawValue }

        func principal(in world: World) -> Principal {
            switch self {
            case .registryOperator: .registryOperator
            case .sponsoringASP: world.asp
            case .otherASP: world.otherASP
            case .owner: world.owner
            case .otherOwner: world.otherOwner
            case .deviceMNO: world.mno
            case .otherMNO: world.otherMNO
            case .anonymous: .anonymous
            }
        }
    }

    enum Operation: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case read, profiles, list, update, activate, deactivate, reactivate, delete, rekey, register
        case issueTransferCode, readJob, readJobItems
        var testDescription: String { rawValue }

        /// The state the device must be in for the operation to be allowed at all.
        var precondition: DeviceState {
            switch self {
            case .deactivate, .rekey, .issueTransferCode: .active
            case .reactivate, .delete: .deactivated
            default: .registered
            }
        }
    }

    enum Outcome: Equatable, CustomStringConvertible {
        case allowed
        case refused(RegistryError.Code)
        var description: String {
            switch self {
            case .allowed: "allowed"
            case .refused(let code): "refused(\(code))"
            }
        }
    }

    /// The policy, written from DESIGN.md "Roles and what each may do":
    /// the operator may do everything to a device (but registers none: devices are sponsored by ASPs, transfer
    /// codes are the owner's consent); the sponsoring ASP creates/updates/deletes/activates/deactivates; the owner
    /// sees, authorises transfers and deactivates; the MNO sees devices on its network; nobody else learns the
    /// device exists (`notFound`), and a role that sees the device but may never do the thing gets `forbidden`.
    static func expected(_ operation: Operation, _ who: Who) -> Outcome {
        let sees: Set<Who> = [.registryOperator, .sponsoringASP, .owner, .deviceMNO]
        switch operation {
        case .read, .profiles:
            return sees.contains(who) ? .allowed : .refused(.notFound)
        case .list:
            return who == .anonymous ? .refused(.unauthenticated) : .allowed
        case .update, .activate, .reactivate, .delete, .rekey:
            if [.registryOperator, .sponsoringASP].contains(who) { return .allowed }
            return sees.contains(who) ? .refused(.forbidden) : .refused(.notFound)
        case .deactivate:
            if [.registryOperator, .sponsoringASP, .owner].contains(who) { return .allowed }
            return sees.contains(who) ? .refused(.forbidden) : .refused(.notFound)
        case .register:
            return [.sponsoringASP, .otherASP].contains(who) ? .allowed : .refused(.forbidden)
        case .issueTransferCode:
            switch who {
            case .owner: return .allowed
            case .otherOwner: return .refused(.notFound)
            default: return .refused(.forbidden)
            }
        case .readJob, .readJobItems:
            return [.registryOperator, .sponsoringASP].contains(who) ? .allowed : .refused(.notFound)
        }
    }

    static let missingEID = Fixture.eid(999)

    @Test(arguments: Operation.allCases, Who.allCases)
    func matrix(_ operation: Operation, _ who: Who) async throws {
        let world = try await World.make()
        let device = try await world.device(1, in: operation.precondition)
        let eid = device.eid.digits
        // A device of another tenant set, to show listings never mix tenants.
        try await world.registry.registerDevice(
            world.newDevice(2, owner: world.ownerB.id, mno: world.mnoB.id), by: world.otherASP)
        let job = try await world.registry.submitJob(.deactivate, items: [JobItemInput(eid: eid)], by: world.asp)
        let principal = who.principal(in: world)
        let before = try await world.snapshot([eid, Fixture.eid(2), Fixture.eid(3)])
        let expected = Self.expected(operation, who)

        do {
            try await Self.perform(operation, on: eid, job: job.id, as: principal, world: world, device: device)
            #expect(expected == .allowed, "\(who) may not \(operation), but it succeeded")
            if operation == .list {
                let listed = try await world.registry.listDevices(state: nil, after: nil, limit: 100, by: principal)
                let sees = [Who.registryOperator, .sponsoringASP, .owner, .deviceMNO].contains(who)
                #expect(listed.contains { $0.eid == device.eid } == sees)
                if who != .registryOperator { #expect(!listed.contains { $0.eid.digits == Fixture.eid(2) } == sees) }
            }
        } catch let error as RegistryError {
            #expect(.refused(error.code) == expected, "\(who) \(operation): \(error)")
            #expect(try await world.snapshot([eid, Fixture.eid(2), Fixture.eid(3)]) == before, "refusal changed state")
            if error.code == .notFound && operation != .readJob && operation != .readJobItems
                && operation != .issueTransferCode
            {
                // Never a hint: the refusal for someone else's device reads exactly like one for a missing device.
                do {
                    try await Self.perform(
                        operation, on: Self.missingEID, job: job.id, as: principal, world: world, device: device)
                    Issue.record("a missing device must be notFound")
                } catch let missing as RegistryError {
                    #expect(missing.code == .notFound)
                    #expect(
                        missing.reason.replacingOccurrences(of: Self.missingEID, with: "<eid>")
                            == error.reason.replacingOccurrences(of: eid, with: "<eid>"))
                }
            }
        }
    }

    static func perform(
        _ operation: Operation, on eid: String, job: String, as principal: Principal, world: World, device: Device
    ) async throws {
        let registry = world.registry
        switch operation {
        case .read: _ = try await registry.device(eid, by: principal)
        case .profiles: _ = try await registry.profiles(eid, by: principal)
        case .list: _ = try await registry.listDevices(state: nil, after: nil, limit: 100, by: principal)
        case .update: _ = try await registry.updateDevice(eid, patch: DevicePatch(model: "M2"), by: principal)
        case .activate: _ = try await registry.apply(.activate, to: eid, by: principal)
        case .deactivate: _ = try await registry.apply(.deactivate, to: eid, by: principal)
        case .reactivate: _ = try await registry.apply(.reactivate, to: eid, by: principal)
        case .delete: _ = try await registry.apply(.delete, to: eid, by: principal)
        case .rekey: _ = try await registry.apply(.rekey, to: eid, by: principal)
        case .register: _ = try await registry.registerDevice(world.newDevice(3), by: principal)
        case .issueTransferCode: _ = try await registry.issueTransferCode(for: [eid], by: principal)
        case .readJob: _ = try await registry.job(id: job, by: principal)
        case .readJobItems: _ = try await registry.jobItems(id: job, after: -1, limit: 10, by: principal)
        }
    }

    @Test func ownerMayDeactivateButNotActivateOrDelete() async throws {
        let world = try await World.make()
        let registered = try await world.device(1)
        await expectRefusal(.forbidden) { try await world.registry.activate(registered.eid.digits, by: world.owner) }
        let active = try await world.device(2, in: .active)
        let deactivated = try await world.registry.apply(.deactivate, to: active.eid.digits, by: world.owner)
        #expect(deactivated.state == .deactivated)
        #expect(try await world.audit().last?.actor == "owner:\(world.ownerA.id)")
        await expectRefusal(.forbidden) { try await world.registry.activate(active.eid.digits, by: world.owner) }
        await expectRefusal(.forbidden) {
            try await world.registry.apply(.delete, to: active.eid.digits, by: world.owner)
        }
        // The other owner learns nothing.
        await expectRefusal(.notFound) {
            try await world.registry.apply(.deactivate, to: registered.eid.digits, by: world.otherOwner)
        }
    }

    @Test func onboardingIsTheOperatorsAlone() async throws {
        let world = try await World.make()
        let others: [Principal] = [world.asp, world.owner, world.mno, .anonymous]
        for principal in others {
            let headBefore = try await world.store.auditHead()
            await expectRefusal(.forbidden) {
                try await world.registry.createASP(NewASP(name: "X", fqdn: "x.example", port: 443), by: principal)
            }
            await expectRefusal(.forbidden) {
                try await world.registry.createTenant(kind: .owner, name: "X", by: principal)
            }
            await expectRefusal(.forbidden) { try await world.registry.listASPs(after: nil, limit: 10, by: principal) }
            #expect(try await world.store.auditHead().sequence == headBefore.sequence)
        }
        #expect(try await world.registry.listASPs(after: nil, limit: 10, by: .registryOperator).count == 2)
        #expect(try await world.registry.asp(id: world.aspA.id, by: world.asp).name == "ParkoServ")
        await expectRefusal(.notFound) { try await world.registry.asp(id: world.aspA.id, by: world.otherASP) }
    }

    @Test func bulkJobsAreForASPsAndOwnersOnly() async throws {
        let world = try await World.make()
        let device = try await world.device(1, in: .active)
        let items = [JobItemInput(eid: device.eid.digits)]
        for principal in [Principal.registryOperator, world.mno, .anonymous] {
            await expectRefusal(.forbidden) {
                try await world.registry.submitJob(.deactivate, items: items, by: principal)
            }
        }
        for operation in JobOperation.allCases where operation != .deactivate {
            await expectRefusal(.forbidden) {
                try await world.registry.submitJob(operation, items: items, by: world.owner)
            }
        }
        let job = try await world.registry.submitJob(.deactivate, items: items, by: world.owner)
        try await world.registry.runJob(id: job.id)
        #expect(try await world.registry.job(id: job.id, by: world.owner).succeeded == 1)
        // A bulk job by another tenant is refused per item, exactly like the single request.
        let other = try await world.device(2, in: .active)
        let foreign = try await world.registry.submitJob(
            .deactivate, items: [JobItemInput(eid: other.eid.digits)], by: world.otherOwner)
        let before = try await world.snapshot([other.eid.digits])
        try await world.registry.runJob(id: foreign.id)
        let items2 = try await world.registry.jobItems(id: foreign.id, after: -1, limit: 10, by: world.otherOwner)
        #expect(items2.map(\.status) == [.failed])
        #expect(items2.first?.errorCode == RegistryError.Code.notFound.description)
        let after = try await world.snapshot([other.eid.digits])
        #expect(after.devices == before.devices)
        #expect(after.profiles == before.profiles)
        #expect(after.outbox == before.outbox)
    }
}
