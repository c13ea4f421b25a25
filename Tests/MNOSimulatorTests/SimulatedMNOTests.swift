import Crypto
import DeviceKit
import Foundation
import PKI
import Payload
import Testing
import X509

@testable import MNOSimulator

/// The MNO's run loop against an in-memory registry that follows the REST contract.
@Suite struct SimulatedMNOTests {
    let registry: TestRegistry
    let channel: FakeMNOChannel
    let directory: URL

    init() throws {
        registry = try TestRegistry()
        channel = FakeMNOChannel(registry: registry)
        directory = try temporaryDirectory()
    }

    func makeMNO(concurrency: Int = 8) throws -> SimulatedMNO {
        try SimulatedMNO(
            channel: channel, directory: directory, registryRoot: registry.root.certificate,
            configuration: .init(
                concurrency: concurrency, longPollSeconds: 1,
                retry: .init(initialDelay: .milliseconds(1), maxDelay: .milliseconds(20))))
    }

    @Test func activationThroughTheChannel() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO()
        let eid = testEID(1)
        let esim = try await mno.addDevice(eid: eid)
        let task = await channel.enqueue(.generateKey, eid: eid)
        await mno.start()
        let stats = try await mno.until(timeout: .seconds(60)) {
            $0.succeeded(.deliverPayload) >= 1 && $0.statusReports >= 1
        }
        await mno.stop()
        #expect(stats.succeeded(.generateKey) == 1)
        #expect(stats.certificatesInstalled == 1)
        #expect(stats.failed.isEmpty)
        // The CSR the registry received verifies and is for the key in the applet's container 1.
        guard case .csr(let pem, let keyAgreement) = try #require(await channel.result(task.id)) else {
            Issue.record("expected a csr result")
            return
        }
        let csr = try ValidatedCSR(pemOrDER: Array(pem.utf8))
        #expect(csr.publicKey == Certificate.PublicKey(try #require(await esim.signingPublicKey(1))))
        #expect(keyAgreement == Array(try #require(await esim.keyAgreementPublicKey()).x963Representation))
        // The eSIM holds the verified payload the registry built; the registry got the receipt.
        let payload = try #require(try await esim.currentPayload())
        #expect(payload.sequence == 1)
        #expect(payload.device.eid == eid)
        #expect(await channel.device(eid)?.deliveredSequence == 1)
        #expect(try await esim.activeSignatureContainer() == 1)
        #expect(await channel.status(eid) == [.online])
    }

    @Test func aDeviceAddedWhileRunningIsReportedOnlineAndServed() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO()
        await mno.start()
        _ = try await mno.until(timeout: .seconds(60)) { _ in true }
        try await mno.addDevices([testEID(5), testEID(6)])
        await channel.enqueue(.generateKey, eid: testEID(6))
        let stats = try await mno.until(timeout: .seconds(60)) {
            $0.statusReports >= 2 && $0.succeeded(.deliverPayload) >= 1
        }
        await mno.stop()
        #expect(stats.statusReportFailures == 0)
        #expect(await channel.status(testEID(5)) == [.online])
        #expect(await channel.status(testEID(6)) == [.online])
    }

    @Test func refusedPayloadsAreReportedWithTheESIMReason() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO()
        let eid = testEID(1)
        let esim = try await mno.addDevice(eid: eid)
        await channel.enqueue(.generateKey, eid: eid)
        await mno.start()
        _ = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.deliverPayload) >= 1 }
        let held = try await esim.signedPayload()
        let device = try #require(await channel.device(eid))
        let certificate = try #require(device.certificate)
        func payload(_ sequence: UInt64, notAfter: Date? = nil, payloadEID: String? = nil) throws -> [UInt8] {
            try registry.signedPayload(
                eid: eid, sequence: sequence, deviceCertificate: certificate, keyAgreementKey: device.keyAgreementKey,
                notAfter: notAfter, payloadEID: payloadEID)
        }
        var tampered = try payload(2)
        tampered[tampered.count - 5] ^= 0x80
        let cases: [(String, [UInt8])] = [
            ("badSignature", tampered),
            ("rollback", try payload(1)),
            ("wrongDevice", try payload(2, payloadEID: testEID(2))),
            ("expired", try payload(2, notAfter: registry.now - 1)),
        ]
        for (code, bytes) in cases {
            await channel.override(payload: bytes, for: eid)
            let task = await channel.enqueue(.deliverPayload, eid: eid, payloadSequence: 2)
            _ = try await mno.waitForTasks(1, timeout: .seconds(60))
            let result = try #require(await channel.result(task.id))
            guard case .failed(let reason, let retry) = result else {
                Issue.record("\(code): expected failed, got \(result)")
                continue
            }
            #expect(reason.contains(code), "\(reason)")
            #expect(!retry)
            #expect(try await esim.signedPayload() == held, "\(code) changed the eSIM")
        }
        await mno.stop()
        #expect(await mno.currentStats.failed(.deliverPayload) == 4)
    }

    @Test func unknownDeviceAndUnknownKindFailWithoutRetry() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO()
        try await mno.addDevice(eid: testEID(1))
        let stranger = await channel.enqueue(.generateKey, eid: testEID(42))
        let odd = await channel.enqueue(.init(rawValue: "reboot"), eid: testEID(1))
        await mno.start()
        _ = try await mno.until(timeout: .seconds(60)) { $0.tasksDone >= 2 }
        await mno.stop()
        #expect(await channel.result(stranger.id) == .failed(reason: "device not on this network", retry: false))
        guard case .failed(let reason, false) = await channel.result(odd.id) else {
            Issue.record("expected failed without retry")
            return
        }
        #expect(reason.contains("reboot"))
    }

    @Test func aTaskOfferedTwiceGetsTheSameAnswer() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        await channel.set(reofferAfterResult: true)
        let mno = try makeMNO()
        let eid = testEID(1)
        let esim = try await mno.addDevice(eid: eid)
        let keyTask = await channel.enqueue(.generateKey, eid: eid)
        await mno.start()
        // generate-key, its repeat, deliver-payload, its repeat: each task counts once, its repeat as a duplicate.
        let stats = try await mno.until(timeout: .seconds(60)) { $0.tasksDone >= 2 && $0.duplicates >= 2 }
        await mno.stop()
        #expect(stats.conflicts == 0)
        #expect(stats.tasksDone == 2)
        #expect(await channel.resultPosts[keyTask.id] == 2)
        // One key was made: the certificate the registry issued is for the key the payload installed.
        let certificate = try #require(await channel.device(eid)?.certificate)
        #expect(certificate.publicKey == Certificate.PublicKey(try #require(await esim.signingPublicKey(1))))
        #expect(await esim.signingPublicKey(2) == nil)
        #expect(try await esim.payloadSequence() == 1)
        // A fresh MNO (nothing remembered) answers a repeated delivery the same way: the eSIM holds it.
        let second = try makeMNO()
        let deliver = MNOTask(id: "again", kind: .deliverPayload, eid: eid, payloadSequence: 1)
        #expect(await second.perform(deliver) == .delivered(payloadSequence: 1))
        #expect(await second.perform(MNOTask(id: "w", kind: .wipe, eid: eid)) == .wiped)
        #expect(await second.perform(MNOTask(id: "w", kind: .wipe, eid: eid)) == .wiped)
    }

    @Test func transientFailuresAreRetriedWithBackoff() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO()
        let eid = testEID(1)
        try await mno.addDevice(eid: eid)
        await channel.enqueue(.generateKey, eid: eid)
        await channel.set(transientFailures: 3)
        await mno.start()
        let stats = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.deliverPayload) >= 1 }
        await mno.stop()
        #expect(stats.retries + stats.pollFailures >= 3)
        #expect(stats.failed.isEmpty)
        #expect(await channel.device(eid)?.deliveredSequence == 1)
    }

    @Test func aRevokedTokenStopsTheLoopAndWaitsTimeOut() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        await channel.set(revoked: true)
        let mno = try makeMNO()
        await mno.start()
        let stats = try await mno.until(timeout: .seconds(60)) { $0.pollFailures >= 1 }
        #expect(stats.lastError?.contains("401") == true)
        await mno.stop()
        do {
            _ = try await mno.until(timeout: .milliseconds(50)) { $0.tasksDone >= 1 }
            Issue.record("expected a time-out")
        } catch let error as MNOSimulatorError {
            #expect(error.code == .timedOut)
        }
    }

    @Test func transferReKeyAndWipe() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO()
        let eid = testEID(1)
        let esim = try await mno.addDevice(eid: eid)
        await channel.enqueue(.generateKey, eid: eid)
        await mno.start()
        _ = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.deliverPayload) >= 1 }
        // Transfer without re-key: a new payload naming the new ASP.
        try await channel.issuePayload(for: eid, asp: "mqtt.carparkserv.test")
        _ = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.deliverPayload) >= 2 }
        #expect(try await esim.currentPayload()?.asp.fqdn == "mqtt.carparkserv.test")
        #expect(try await esim.activeSignatureContainer() == 1)
        // Transfer with re-key: the new key goes to container 2, the payload then names it.
        await channel.enqueue(.generateKey, eid: eid)
        _ = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.deliverPayload) >= 3 }
        #expect(try await esim.activeSignatureContainer() == 2)
        #expect(try await esim.payloadSequence() == 3)
        // Deactivation.
        await channel.enqueue(.wipe, eid: eid)
        _ = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.wipe) >= 1 }
        await mno.stop()
        #expect(try await esim.currentPayload() == nil)
    }

    @Test func aHundredDevicesEndToEnd() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try makeMNO(concurrency: 32)
        let eids = (1...100).map(testEID)
        try await mno.addDevices(eids)
        for eid in eids { await channel.enqueue(.generateKey, eid: eid) }
        await mno.start()
        let stats = try await mno.until(timeout: .seconds(300)) {
            $0.succeeded(.deliverPayload) >= 100 && $0.statusReports >= 100
        }
        await mno.stop()
        #expect(stats.succeeded(.generateKey) == 100)
        #expect(stats.failed.isEmpty)
        #expect(stats.statusReports == 100)
        for eid in eids {
            let esim = try #require(await mno.device(eid))
            let payload = try #require(try await esim.currentPayload())
            #expect(payload.device.eid == eid)
            #expect(payload.asp.fqdn == "mqtt.parkoserv.test")
            #expect(await channel.device(eid)?.deliveredSequence == 1)
        }
        // The fleet reloads from its directory with the same payloads.
        let reloaded = try makeMNO()
        #expect(await reloaded.deviceEIDs == eids.sorted())
        let sample = try #require(await reloaded.device(eids[42]))
        #expect(try await sample.payloadSequence() == 1)
    }
}
