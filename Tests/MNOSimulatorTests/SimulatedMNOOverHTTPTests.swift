import Foundation
import PKI
import Payload
import Testing

@testable import MNOSimulator

/// The whole MNO over real HTTP: RESTMNOTaskChannel against the contract-faithful fake behind a Hummingbird server.
@Suite struct SimulatedMNOOverHTTPTests {
    @Test func twentyDevicesActivateOverHTTPAndStopEndsALongPoll() async throws {
        let registry = try TestRegistry()
        let fake = FakeMNOChannel(registry: registry)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let eids = (1...20).map(testEID)
        for eid in eids { await fake.enqueue(.generateKey, eid: eid) }
        await fake.set(reofferAfterResult: true)
        try await withHTTPStandIn(fake, token: "mno-token") { url in
            let channel = RESTMNOTaskChannel(baseURL: url, token: "mno-token", maxConnections: 8)
            let mno = try SimulatedMNO(
                channel: channel, directory: directory, registryRoot: registry.root.certificate,
                configuration: .init(concurrency: 8, longPollSeconds: 30))
            try await mno.addDevices(eids)
            await mno.start()
            // generate-key and deliver-payload for each, and each offered once more: counted once, the repeat
            // answered the same way and counted as a duplicate.
            let stats = try await mno.until(timeout: .seconds(300)) {
                $0.succeeded(.generateKey) >= 20 && $0.succeeded(.deliverPayload) >= 20 && $0.duplicates >= 40
                    && $0.statusReports >= 20
            }
            #expect(stats.failed.isEmpty)
            #expect(stats.conflicts == 0)
            #expect(stats.succeeded(.deliverPayload) == 20)
            #expect(stats.succeeded(.generateKey) == 20)
            // Idle now: the loop sits in a 30-second long poll, which stop() cancels.
            await mno.stop()
            for eid in eids {
                #expect(try await mno.device(eid)?.currentPayload()?.device.eid == eid)
                #expect(await fake.status(eid) == [.online])
            }
        }
    }
}
