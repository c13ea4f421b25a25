import Foundation
import RegistryCore
import Testing

/// What a use case answers is what a later read returns, even when the clock has sub-millisecond digits
/// (stores keep milliseconds).
@Suite("Answers equal the stored form")
struct StoredFormTests {
    @Test func answersMatchLaterReads() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000.123_456))
        let world = try await World.make(
            configuration: RegistryConfiguration(transferPolicy: .window(seconds: 60)), clock: clock)
        let registered = try await world.registry.registerDevice(world.newDevice(1), by: world.asp)
        #expect(try await world.store.device(eid: registered.eid) == registered)
        clock.advance(1.000_7)
        let active = try await world.registry.activate(registered.eid.digits, by: world.asp)
        #expect(try await world.store.device(eid: registered.eid) == active)
        let profile = try #require(try await world.store.profiles(eid: registered.eid).last)
        #expect(profile.createdAt == active.updatedAt)
        clock.advance(2.000_3)
        let code = try await world.registry.issueTransferCode(for: [registered.eid.digits], by: world.owner)
        let use = try await world.store.transferCodeUse(codeHash: APIToken.hash(code.code), eid: registered.eid)
        #expect(use?.expiresAt == code.expiresAt)
        let pending = try await world.registry.requestTransfer(
            registered.eid.digits, authCode: code.code, by: world.otherASP)
        #expect(try await world.store.device(eid: registered.eid) == pending)
        let job = try await world.registry.submitJob(
            .deactivate, items: [JobItemInput(eid: registered.eid.digits)], by: world.asp)
        #expect(try await world.store.job(id: job.id) == job)
        #expect(try await world.outbox().last?.at == pending.updatedAt)
    }
}
