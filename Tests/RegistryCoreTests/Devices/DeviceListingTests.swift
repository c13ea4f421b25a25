import Foundation
import RegistryCore
import Testing

@Suite("Device listing and public status")
struct DeviceListingTests {
    @Test func pagesByEIDAndNeverMixesTenants() async throws {
        let world = try await World.make()
        for n in 1...25 { try await world.device(n, in: n.isMultiple(of: 5) ? .active : .registered) }
        for n in 26...30 {
            try await world.registry.registerDevice(
                world.newDevice(n, owner: world.ownerB.id, mno: world.mnoB.id), by: world.otherASP)
        }
        var seen: [String] = []
        var cursor: String?
        while true {
            let page = try await world.registry.listDevices(state: nil, after: cursor, limit: 7, by: world.asp)
            #expect(page.count <= 7)
            guard let last = page.last else { break }
            seen += page.map(\.eid.digits)
            cursor = last.eid.digits
        }
        #expect(seen == (1...25).map { Fixture.eid($0) }.sorted())
        let active = try await world.registry.listDevices(state: .active, after: nil, limit: 100, by: world.asp)
        #expect(active.map(\.eid.digits) == [5, 10, 15, 20, 25].map { Fixture.eid($0) }.sorted())
        #expect(try await world.registry.listDevices(state: nil, after: nil, limit: 100, by: world.owner).count == 25)
        #expect(try await world.registry.listDevices(state: nil, after: nil, limit: 100, by: world.mno).count == 25)
        #expect(try await world.registry.listDevices(state: nil, after: nil, limit: 100, by: world.otherMNO).count == 5)
        #expect(
            try await world.registry.listDevices(state: nil, after: nil, limit: 100, by: .registryOperator).count
                == 30)
        #expect(try await world.registry.listDevices(state: .deleted, after: nil, limit: 100, by: world.asp).isEmpty)
    }

    @Test func publicStatusShowsStateSponsorAndProfileOnly() async throws {
        let world = try await World.make()
        let device = try await world.device(1, in: .active)
        let status = try await world.registry.publicStatus(device.eid.digits)
        #expect(status.eid == device.eid.digits)
        #expect(status.state == .active)
        #expect(status.aspName == "ParkoServ")
        #expect(status.rpid == device.rpid)
        await expectRefusal(.notFound) { try await world.registry.publicStatus(Fixture.eid(2)) }
        await expectRefusal(.invalidInput) { try await world.registry.publicStatus("1234") }
        // The public view carries nothing private (no owner, MNO, ICCID).
        let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        #expect(!json.contains(world.ownerA.id))
        #expect(!json.contains(world.mnoA.id))
        #expect(!json.contains(device.iccid.digits))
    }

    @Test func aSecondRequestWhilePendingIsRefusedAndKeepsItsCode() async throws {
        let world = try await World.make(configuration: RegistryConfiguration(transferPolicy: .window(seconds: 60)))
        let eid = try await world.device(1, in: .active).eid.digits
        let first = try await world.registry.issueTransferCode(for: [eid], by: world.owner)
        let second = try await world.registry.issueTransferCode(for: [eid], by: world.owner)
        let aspC = try await world.registry.createASP(
            NewASP(name: "ThirdServ", fqdn: "iot.third.example", port: 443), by: .registryOperator)
        _ = try await world.registry.requestTransfer(eid, authCode: first.code, by: world.otherASP)
        let before = try await world.snapshot([eid])
        await expectRefusal(.invalidTransition) {
            try await world.registry.requestTransfer(eid, authCode: second.code, by: .asp(aspC.id))
        }
        #expect(try await world.snapshot([eid]) == before)
        #expect(
            try await world.store.transferCodeUse(codeHash: APIToken.hash(second.code), eid: EID(eid))?.usedAt == nil)
        // After the first is cancelled, the second code still works.
        _ = try await world.registry.cancelTransfer(eid, by: world.otherASP)
        let pending = try await world.registry.requestTransfer(eid, authCode: second.code, by: .asp(aspC.id))
        #expect(pending.pendingTransfer?.gainingASPID == aspC.id)
    }
}
