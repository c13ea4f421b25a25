import Crypto
import Foundation
import Logging
import RegistryCore
import RegistryProvisioning
import Synchronization
import Testing

/// ASPs are told of their devices' changes by signed webhooks, retried, at least once.
@Suite struct WebhookNotifierTests {
    final class Recorder: WebhookTransport {
        let posts = Mutex<[(url: String, body: [UInt8], headers: [String: String])]>([])
        let failFirst = Mutex(0)

        func post(url: String, body: [UInt8], headers: [String: String]) async throws -> Int {
            if failFirst.withLock({ count in
                count > 0
                    ? {
                        count -= 1; return true
                    }() : false
            }) {
                return 503
            }
            posts.withLock { $0.append((url, body, headers)) }
            return 204
        }

        var events: [(url: String, event: String)] {
            posts.withLock { $0.map { ($0.url, $0.headers["X-IoTReg-Event"] ?? "") } }
        }
    }

    static let signer = WebhookSigner(key: SymmetricKey(size: .bits256))

    @Test func activationTransferAndDeactivationReachTheRightASPSigned() async throws {
        let bench = try await PayloadBuilderTests.Bench.make()
        let registry = bench.registry
        _ = try await registry.setWebhook(
            tenantID: bench.parko, url: "https://parko.example/hook", by: .asp(bench.parko))
        _ = try await registry.setWebhook(
            tenantID: bench.carPark, url: "https://carpark.example/hook", by: .registryOperator)
        await #expect(throws: RegistryError(.notFound, "")) {
            try await registry.setWebhook(tenantID: bench.parko, url: "https://evil.example/", by: .asp(bench.carPark))
        }
        await #expect(throws: RegistryError(.invalidInput, "")) {
            try await registry.setWebhook(tenantID: bench.parko, url: "http://parko.example/", by: .asp(bench.parko))
        }
        let recorder = Recorder()
        let notifier = WebhookNotifier(
            registry: registry, signer: Self.signer, transport: recorder, logger: Logger(label: "test"),
            backoff: [.milliseconds(1), .milliseconds(1)])

        let eid = try await bench.activeDevice(1)
        let esim = try PayloadBuilderTests.ESIM(root: bench.root)
        let (delivery, _) = try await PayloadBuilderTests.provision(bench, eid, esim: esim)
        _ = try await registry.submitTaskResult(delivery.id, .delivered(sequence: 1), by: .mno(bench.mno))
        let code = try await registry.issueTransferCode(for: [eid.digits], by: .owner(bench.owner))
        _ = try await registry.requestTransfer(eid.digits, authCode: code.code, by: .asp(bench.carPark))
        _ = try await registry.apply(.deactivate, to: eid.digits, by: .asp(bench.carPark))
        recorder.failFirst.withLock { $0 = 2 }  // the first receiver is down twice: retried, then delivered
        try await notifier.catchUp()

        let events = recorder.events
        #expect(
            events.map(\.event) == [
                "device.activated", "device.transferred-away", "device.transferred-in",
                "device.revoked",
            ])
        #expect(
            events.map(\.url) == [
                "https://parko.example/hook", "https://parko.example/hook",
                "https://carpark.example/hook", "https://carpark.example/hook",
            ])
        let (delivered, failed) = (await notifier.delivered, await notifier.failed)
        #expect(delivered == 4 && failed == 0)
        // The receiver checks the signature with the key it was shown.
        for post in recorder.posts.withLock({ $0 }) {
            let tenant = post.url.contains("carpark") ? bench.carPark : bench.parko
            let key = Self.signer.secret(tenantID: tenant, url: post.url)
            let timestamp = Int(post.headers["X-IoTReg-Timestamp"] ?? "") ?? -1
            #expect(
                post.headers["X-IoTReg-Signature"]
                    == WebhookSigner.signature(body: post.body, timestamp: timestamp, secret: key))
            #expect(
                post.headers["X-IoTReg-Signature"]
                    != WebhookSigner.signature(body: post.body + [0x20], timestamp: timestamp, secret: key))
            let json = try JSONSerialization.jsonObject(with: Data(post.body)) as? [String: Any]
            #expect(json?["eid"] as? String == eid.digits)
        }
        // Processed once: catching up again sends nothing.
        try await notifier.catchUp()
        #expect(recorder.events.count == 4)
    }

    @Test func aDeadReceiverIsRetriedThenSkippedAndCounted() async throws {
        let bench = try await PayloadBuilderTests.Bench.make()
        _ = try await bench.registry.setWebhook(
            tenantID: bench.parko, url: "https://parko.example/hook", by: .asp(bench.parko))
        let recorder = Recorder()
        recorder.failFirst.withLock { $0 = 100 }
        let notifier = WebhookNotifier(
            registry: bench.registry, signer: Self.signer, transport: recorder, logger: Logger(label: "test"),
            backoff: [.milliseconds(1), .milliseconds(1)])
        let eid = try await bench.activeDevice(1)
        _ = try await bench.registry.apply(.deactivate, to: eid.digits, by: .asp(bench.parko))
        try await notifier.catchUp()
        let (delivered, failed) = (await notifier.delivered, await notifier.failed)
        #expect(failed == 1 && delivered == 0)
        #expect(recorder.failFirst.withLock { $0 } == 97, "three attempts")
    }
}
