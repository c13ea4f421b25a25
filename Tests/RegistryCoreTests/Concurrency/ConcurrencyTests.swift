import Foundation
import PeerTesting
import RegistryCore
import Testing

/// Many requests at once over one file store (WAL, a connection pool): optimistic versions keep every invariant.
@Suite("Concurrent requests")
struct ConcurrencyTests {
    static func fileWorld(_ configuration: RegistryConfiguration = .init()) async throws -> (World, URL) {
        let directory = try PeerTool.temporaryDirectory("iotreg-concurrency")
        let world = try await World.make(
            path: directory.appendingPathComponent("registry.sqlite").path, configuration: configuration)
        return (world, directory)
    }

    enum Outcome: Sendable, Equatable {
        case ok(Int64?)
        case refused(RegistryError.Code)
    }

    static func outcome(_ body: @Sendable () async throws -> Device) async -> Outcome {
        do {
            return .ok(try await body().rpid)
        } catch let error as RegistryError {
            return .refused(error.code)
        } catch {
            return .refused(.unavailable)
        }
    }

    @Test func sameDeviceActivatedTwentyTimesAtOnceActivatesOnce() async throws {
        let (world, directory) = try await Self.fileWorld()
        defer { try? FileManager.default.removeItem(at: directory) }
        let eid = try await world.device(1).eid.digits
        let registry = world.registry
        let asp = world.asp
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for _ in 0..<20 {
                group.addTask { await Self.outcome { try await registry.apply(.activate, to: eid, by: asp) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let wins = outcomes.filter { if case .ok = $0 { true } else { false } }
        #expect(wins.count == 1)
        #expect(outcomes.filter { $0 == .refused(.invalidTransition) }.count == 19, "\(outcomes)")
        let profiles = try await world.store.profiles(eid: EID(eid))
        #expect(profiles.count == 1)
        #expect(try await world.store.device(eid: EID(eid))?.rpid == profiles.first?.rpid)
        #expect(try await world.outbox().filter { $0.kind == .deviceActivated }.count == 1)
        #expect(try await world.audit().filter { $0.action == "device.activate" }.count == 1)
        #expect(try await registry.verifyAudit().isIntact)
    }

    @Test func concurrentRekeysKeepOneLiveProfile() async throws {
        let (world, directory) = try await Self.fileWorld()
        defer { try? FileManager.default.removeItem(at: directory) }
        let eid = try await world.device(1, in: .active).eid.digits
        let registry = world.registry
        let asp = world.asp
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for _ in 0..<12 {
                group.addTask { await Self.outcome { try await registry.apply(.rekey, to: eid, by: asp) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // Each either happened or was told to retry; nothing in between.
        #expect(outcomes.allSatisfy { if case .ok = $0 { true } else { $0 == .refused(.conflict) } }, "\(outcomes)")
        let successes = outcomes.filter { if case .ok = $0 { true } else { false } }.count
        let profiles = try await world.store.profiles(eid: EID(eid))
        #expect(profiles.count == successes + 1)
        #expect(profiles.filter { $0.status == .active }.count == 1)
        let device = try #require(try await world.store.device(eid: EID(eid)))
        #expect(device.rpid == profiles.last?.rpid)
        #expect(profiles.last?.status == .active)
        #expect(device.version == Int64(2 + successes))
        #expect(try await world.outbox().filter { $0.kind == .deviceRekeyed }.count == successes)
        #expect(try await registry.verifyAudit().isIntact)
    }

    @Test func oneCodeRacedByManyASPsTransfersOnce() async throws {
        let (world, directory) = try await Self.fileWorld()
        defer { try? FileManager.default.removeItem(at: directory) }
        let eid = try await world.device(1, in: .active).eid.digits
        var gaining: [Principal] = []
        for n in 0..<6 {
            let asp = try await world.registry.createASP(
                NewASP(name: "Racer \(n)", fqdn: "racer\(n).example", port: 443), by: .registryOperator)
            gaining.append(.asp(asp.id))
        }
        let code = try await world.registry.issueTransferCode(for: [eid], by: world.owner).code
        let registry = world.registry
        let racers = gaining
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for principal in racers {
                group.addTask {
                    await Self.outcome { try await registry.requestTransfer(eid, authCode: code, by: principal) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .ok = $0 { true } else { false } }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .refused(.invalidAuthorization) }.count == racers.count - 1, "\(outcomes)")
        let device = try #require(try await world.store.device(eid: EID(eid)))
        #expect(racers.contains(.asp(device.aspID)))
        #expect(try await world.store.profiles(eid: EID(eid)).filter { $0.status == .active }.count == 1)
        #expect(try await world.outbox().filter { $0.kind == .transferCompleted }.count == 1)
    }

    @Test func manyDevicesAtOnceGetDistinctRPIDs() async throws {
        let (world, directory) = try await Self.fileWorld()
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = world.registry
        let asp = world.asp
        let requests = (1...40).map { world.newDevice($0) }
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for request in requests {
                group.addTask {
                    await Self.outcome {
                        _ = try await registry.registerDevice(request, by: asp)
                        return try await registry.apply(.activate, to: request.eid, by: asp)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let rpids = outcomes.compactMap { if case .ok(let rpid) = $0 { rpid } else { nil } }
        #expect(rpids.count == 40)
        #expect(Set(rpids).count == 40)
        #expect(try await registry.verifyAudit().isIntact)
        let sequences = try await world.outbox().map(\.sequence)
        #expect(sequences == sequences.sorted())
        #expect(Set(sequences).count == sequences.count)
    }

    @Test func sameEIDRegisteredByTwoASPsAtOnceHasOneSponsor() async throws {
        let (world, directory) = try await Self.fileWorld()
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = world.registry
        let request = world.newDevice(1)
        let principals = [world.asp, world.otherASP, world.asp, world.otherASP]
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for principal in principals {
                group.addTask { await Self.outcome { try await registry.registerDevice(request, by: principal) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .ok = $0 { true } else { false } }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .refused(.alreadyExists) }.count == 3, "\(outcomes)")
        #expect(try await world.outbox().filter { $0.kind == .deviceRegistered }.count == 1)
        #expect(try await world.audit().filter { $0.action == "device.create" }.count == 1)
    }
}
