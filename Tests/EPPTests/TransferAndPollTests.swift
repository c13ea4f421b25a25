import EPP
import Foundation
import PeerTesting
import RegistryCore
import RegistryStoreSQLite
import Testing

/// Transfers (request/query/approve/reject/cancel) and the poll queue derived from the outbox and audit log.
@Suite struct TransferAndPollTests {
    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func immediateTransferNotifiesTheLosingASP() async throws {
        let world = try await EPPWorld.make()
        let eid = try await world.registerDevice(1)
        _ = try await world.registry.apply(.activate, to: eid, by: .asp(world.aspA.id))
        let code = try await world.registry.issueTransferCode(for: [eid], by: .owner(world.owner.id)).code
        let a = try await world.loggedIn()
        let b = try await world.loggedIn(world.aspB)
        #expect(try await world.send(a, Frames.pollRequest).code == 1300)

        // The gaining ASP may look with the owner's code, then take the device.
        #expect(try await world.send(b, Frames.info(eid)).code == 2303)
        #expect(try await world.send(b, Frames.info(eid, authInfo: code)).code == 1000)
        let request = try await world.send(b, Frames.transfer("request", eid, authInfo: code))
        #expect(request.code == 1000, "\(request.text)")
        #expect(request.value("trStatus") == "serverApproved")
        #expect(request.value("reID") == world.aspB.id)
        #expect(request.value("acID") == world.aspA.id)
        #expect(try await world.send(b, Frames.info(eid)).value("clID") == world.aspB.id)
        #expect(try await world.send(a, Frames.info(eid)).code == 2303)
        // B already sponsors it now: not eligible (and the code is spent for A's side too).
        #expect(try await world.send(b, Frames.transfer("request", eid, authInfo: code)).code == 2106)
        #expect(try await world.send(a, Frames.transfer("request", eid, authInfo: code)).code == 2202)

        // The losing ASP finds a transfer notice; the gaining one, which acted itself, finds none.
        let poll = try await world.send(a, Frames.pollRequest)
        #expect(poll.code == 1301, "\(poll.text)")
        let queue = try #require(poll.first("msgQ"))
        #expect(queue.attribute("count") == "1")
        let id = try #require(queue.attribute("id"))
        #expect(poll.value("trStatus") == "serverApproved")
        #expect(poll.value("eid") == eid)
        #expect(try await world.send(b, Frames.pollRequest).code == 1300)
        #expect(try await world.send(a, Frames.pollAck("999999")).code == 2303)
        #expect(try await world.send(b, Frames.pollAck(id)).code == 2303)
        let ack = try await world.send(a, Frames.pollAck(id))
        #expect(ack.code == 1000)
        #expect(ack.first("msgQ")?.attribute("count") == "0")
        #expect(try await world.send(a, Frames.pollRequest).code == 1300)

        // Acknowledgements are in the audit log, so a fresh server (new derived view) agrees.
        let restarted = EPPService(registry: world.registry)
        let fresh = restarted.makeSession(clientCertificateSHA256: EPPWorld.fingerprint(EPPWorld.certificateA))
        #expect(try await world.send(fresh, Frames.login(world.aspA.id, world.aspA.token.secret)).code == 1000)
        #expect(try await world.send(fresh, Frames.pollRequest).code == 1300)
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func windowedTransferRequestQueryApproveRejectCancel() async throws {
        let world = try await EPPWorld.make(
            configuration: RegistryConfiguration(transferPolicy: .window(seconds: 3600)))
        var eids: [String] = []
        for n in 1...3 {
            let eid = try await world.registerDevice(n)
            _ = try await world.registry.apply(.activate, to: eid, by: .asp(world.aspA.id))
            eids.append(eid)
        }
        let code = try await world.registry.issueTransferCode(for: eids, by: .owner(world.owner.id)).code
        let a = try await world.loggedIn()
        let b = try await world.loggedIn(world.aspB)

        for eid in eids {
            let pending = try await world.send(b, Frames.transfer("request", eid, authInfo: code))
            #expect(pending.code == 1001, "\(pending.text)")
            #expect(pending.value("trStatus") == "pending")
        }
        // Both parties can query; a third cannot.
        #expect(try await world.send(a, Frames.transfer("query", eids[0])).value("trStatus") == "pending")
        #expect(try await world.send(b, Frames.transfer("query", eids[0])).value("reID") == world.aspB.id)
        #expect(try await world.send(a, Frames.info(eids[0])).first("status")?.attribute("s") == "pendingTransfer")
        // Only the losing ASP approves or rejects; only the gaining one cancels.
        #expect(try await world.send(b, Frames.transfer("approve", eids[0])).code == 2201)
        #expect(try await world.send(a, Frames.transfer("cancel", eids[0])).code == 2201)
        #expect(try await world.send(b, Frames.transfer("request", eids[0], authInfo: code)).code == 2202)

        let approved = try await world.send(a, Frames.transfer("approve", eids[0]))
        #expect(approved.code == 1000)
        #expect(approved.value("trStatus") == "clientApproved")
        #expect(try await world.send(a, Frames.transfer("reject", eids[1])).value("trStatus") == "clientRejected")
        #expect(try await world.send(b, Frames.transfer("cancel", eids[2])).value("trStatus") == "clientCancelled")
        #expect(try await world.send(b, Frames.info(eids[0])).value("clID") == world.aspB.id)
        #expect(try await world.send(a, Frames.info(eids[1])).value("clID") == world.aspA.id)
        #expect(try await world.send(a, Frames.transfer("approve", eids[1])).code == 2301)

        // A: three requests, one cancellation. B: one approval, one rejection.
        func drain(_ session: EPPSession) async throws -> [String] {
            var seen: [String] = []
            while true {
                let poll = try await world.send(session, Frames.pollRequest)
                if poll.code == 1300 { return seen }
                #expect(poll.code == 1301)
                seen.append(poll.value("trStatus") ?? poll.value("event") ?? "?")
                let id = try #require(poll.first("msgQ")?.attribute("id"))
                #expect(try await world.send(session, Frames.pollAck(id)).code == 1000)
                if seen.count > 20 { return seen }
            }
        }
        #expect(try await drain(a) == ["pending", "pending", "pending", "clientCancelled"])
        #expect(try await drain(b) == ["clientApproved", "clientRejected"])
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func changesByOthersAreQueued() async throws {
        let world = try await EPPWorld.make()
        let mine = try await world.registerDevice(1)
        let theirs = try await world.registerDevice(2)
        let asp = Principal.asp(world.aspA.id)
        _ = try await world.registry.apply(.activate, to: mine, by: asp)
        _ = try await world.registry.apply(.activate, to: theirs, by: asp)
        _ = try await world.registry.apply(.deactivate, to: mine, by: asp)  // by the ASP itself: no message
        _ = try await world.registry.apply(.deactivate, to: theirs, by: .owner(world.owner.id))
        let a = try await world.loggedIn()
        let poll = try await world.send(a, Frames.pollRequest)
        #expect(poll.code == 1301)
        #expect(poll.first("msgQ")?.attribute("count") == "1")
        #expect(poll.value("event") == "device.deactivated")
        #expect(poll.value("actor") == "owner:\(world.owner.id)")
        #expect(poll.value("eid") == theirs)
        try world.validateResponses()
    }
}
