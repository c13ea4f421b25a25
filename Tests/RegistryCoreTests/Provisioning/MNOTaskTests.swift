import Crypto
import Foundation
import RegistryCore
import Testing

/// The MNO channel in the core: which lifecycle change asks for what, who may see and answer, idempotence, back-off.
@Suite struct MNOTaskTests {
    let keyAgreement = [UInt8](P256.KeyAgreement.PrivateKey().publicKey.x963Representation)

    @Test func activationAsksTheDevicesMNOForAKeyAndTheCSRAnswerIssuesTheCertificate() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        #expect(try await world.registry.fetchTasks(limit: 10, by: world.otherMNO).isEmpty)
        let tasks = try await world.registry.fetchTasks(limit: 10, by: world.mno)
        let task = try #require(tasks.first)
        #expect(tasks.count == 1 && task.kind == .generateKey && task.state == .inFlight && task.attempt == 1)
        #expect(
            try await world.registry.fetchTasks(limit: 10, by: world.mno).isEmpty, "a leased task is not re-offered")

        let answer = try await world.registry.submitTaskResult(
            task.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: keyAgreement), by: world.mno)
        let certificate = try #require(answer.certificate)
        #expect(answer.task.state == .succeeded && answer.task.outcome == "certificate \(certificate.serial)")
        #expect(try await world.store.currentCertificate(eid: try EID(Fixture.eid(1)))?.serial == certificate.serial)
        #expect(try await world.store.keyAgreementKey(eid: try EID(Fixture.eid(1)))?.publicKey == keyAgreement)
        let device = try await world.registry.device(Fixture.eid(1), by: world.asp)
        #expect(try await world.registry.provisioning(of: device).stage == "building-payload")
    }

    @Test func theSameAnswerTwiceIsAcceptedAndADifferentOneIsAConflict() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        let task = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateFixture.csr(key)
        let first = try await world.registry.submitTaskResult(
            task.id, .csr(csr, keyAgreementPublicKey: nil), by: world.mno)
        let again = try await world.registry.submitTaskResult(
            task.id, .csr(csr, keyAgreementPublicKey: nil), by: world.mno)
        #expect(first.certificate?.serial == again.certificate?.serial)
        let before = try await world.snapshot([Fixture.eid(1)])
        await #expect(throws: RegistryError(.conflict, "")) {
            try await world.registry.submitTaskResult(
                task.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: nil), by: world.mno)
        }
        await #expect(throws: RegistryError(.conflict, "")) {
            try await world.registry.submitTaskResult(task.id, .failed(reason: "gone", retry: false), by: world.mno)
        }
        #expect(try await world.snapshot([Fixture.eid(1)]) == before)
    }

    @Test func anotherMNOsTaskIsNotFoundAndOtherRolesAreForbidden() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        let task = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        let before = try await world.snapshot([Fixture.eid(1)])
        await #expect(throws: RegistryError(.notFound, "")) {
            try await world.registry.submitTaskResult(
                task.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: nil), by: world.otherMNO)
        }
        await #expect(throws: RegistryError(.forbidden, "")) {
            try await world.registry.fetchTasks(limit: 10, by: world.asp)
        }
        await #expect(throws: RegistryError(.notFound, "")) {
            try await world.registry.currentPayload(Fixture.eid(1), by: world.otherMNO)
        }
        #expect(try await world.snapshot([Fixture.eid(1)]) == before)
        #expect(try await world.store.task(id: task.id) == task, "the refused answer changed nothing")
    }

    @Test func aCSRNotSignedByTheKeyItCarriesIsRefusedAndChangesNothing() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        let task = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        var csr = try CertificateFixture.csr()
        csr[csr.count - 5] ^= 0x01  // inside the signature
        let before = try await world.snapshot([Fixture.eid(1)])
        await #expect(throws: RegistryError(.invalidInput, "")) {
            try await world.registry.submitTaskResult(task.id, .csr(csr, keyAgreementPublicKey: nil), by: world.mno)
        }
        await #expect(throws: RegistryError(.invalidInput, "")) {
            try await world.registry.submitTaskResult(
                task.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: [4, 1, 2]), by: world.mno)
        }
        await #expect(throws: RegistryError(.invalidInput, "")) {
            try await world.registry.submitTaskResult(task.id, .delivered(sequence: 1), by: world.mno)
        }
        #expect(try await world.snapshot([Fixture.eid(1)]) == before)
        #expect(try await world.store.task(id: task.id)?.state == .inFlight)
    }

    @Test func anUnansweredTaskComesBackAfterItsLeaseAndARetryableFailureBacksOff() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        let first = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        world.clock.advance(MNOTask.lease(forAttempt: 1) + 1)
        let second = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        #expect(second.id == first.id && second.attempt == 2)
        let retried = try await world.registry.submitTaskResult(
            second.id, .failed(reason: "eUICC unreachable", retry: true), by: world.mno)
        #expect(retried.task.state == .pending)
        #expect(try await world.registry.fetchTasks(limit: 10, by: world.mno).isEmpty, "backing off")
        world.clock.advance(MNOTask.lease(forAttempt: 2) + 1)
        #expect(try await world.registry.fetchTasks(limit: 10, by: world.mno).first?.attempt == 3)
        #expect(MNOTask.lease(forAttempt: 1) == 60 && MNOTask.lease(forAttempt: 2) == 120)
        #expect(MNOTask.lease(forAttempt: 30) == 3600)
    }

    @Test func deactivationSupersedesTheKeyRequestWithAWipe() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        let keyTask = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        try await world.registry.apply(.deactivate, to: Fixture.eid(1), by: world.asp)
        #expect(try await world.store.task(id: keyTask.id)?.state == .superseded)
        await #expect(throws: RegistryError(.conflict, "")) {
            try await world.registry.submitTaskResult(
                keyTask.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: nil), by: world.mno)
        }
        let wipe = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        #expect(wipe.kind == .wipe)
        let done = try await world.registry.submitTaskResult(wipe.id, .wiped, by: world.mno)
        #expect(done.task.state == .succeeded)
        let device = try await world.registry.device(Fixture.eid(1), by: world.asp)
        #expect(try await world.registry.provisioning(of: device).stage == "wiped")
        let kinds = try await world.store.outboxEvents(after: 0, limit: 100).map(\.kind)
        #expect(kinds.contains(.payloadWiped))
    }

    @Test func aRecordedPayloadIsQueuedForDeliveryAndTheReceiptCompletesProvisioning() async throws {
        let world = try await CertificateFixture.world()
        try await world.device(1, in: .active)
        let keyTask = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        let certificate = try #require(
            try await world.registry.submitTaskResult(
                keyTask.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: nil), by: world.mno
            ).certificate)
        let eid = try EID(Fixture.eid(1))
        let payload = StoredPayload(
            eid: eid, sequence: 1, certificateSerial: certificate.serial, aspID: world.aspA.id, bytes: [0xD2, 0x84],
            createdAt: world.clock.now, notAfter: world.clock.now + 86_400)
        let delivery = try #require(try await world.registry.recordPayload(payload))
        #expect(delivery.kind == .deliverPayload && delivery.payloadSequence == 1)
        await #expect(throws: RegistryError(.conflict, "")) { try await world.registry.recordPayload(payload) }
        var stale = payload
        stale.sequence = 2
        stale.certificateSerial = "00"
        #expect(try await world.registry.recordPayload(stale) == nil, "a payload for an old certificate is dropped")

        #expect(try await world.registry.currentPayload(eid.digits, by: world.mno).bytes == [0xD2, 0x84])
        let offered = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
        #expect(offered.id == delivery.id)
        await #expect(throws: RegistryError(.invalidInput, "")) {
            try await world.registry.submitTaskResult(offered.id, .delivered(sequence: 9), by: world.mno)
        }
        _ = try await world.registry.submitTaskResult(offered.id, .delivered(sequence: 1), by: world.mno)
        _ = try await world.registry.submitTaskResult(offered.id, .delivered(sequence: 1), by: world.mno)
        let device = try await world.registry.reportEUICCStatus(eid.digits, .active, by: world.mno)
        let status = try await world.registry.provisioning(of: device)
        #expect(status.stage == "delivered" && status.euicc == "active" && status.latestPayloadSequence == 1)
        await #expect(throws: RegistryError(.notFound, "")) {
            try await world.registry.reportEUICCStatus(eid.digits, .online, by: world.otherMNO)
        }
    }

    @Test func aTransferRecertifiesTheSameKeyUnderTheNewProfileOrAsksForANewKey() async throws {
        for rekey in [false, true] {
            let world = try await World.make(
                configuration: RegistryConfiguration(rekeyOnTransfer: rekey), pki: try CertificateFixture.pki())
            try await world.device(1, in: .active)
            let keyTask = try #require(try await world.registry.fetchTasks(limit: 10, by: world.mno).first)
            let before = try #require(
                try await world.registry.submitTaskResult(
                    keyTask.id, .csr(try CertificateFixture.csr(), keyAgreementPublicKey: nil), by: world.mno
                ).certificate)
            let code = try await world.registry.issueTransferCode(for: [Fixture.eid(1)], by: world.owner)
            let moved = try await world.registry.requestTransfer(
                Fixture.eid(1), authCode: code.code, by: world.otherASP)
            #expect(moved.aspID == world.aspB.id && moved.state == .active)
            let current = try await world.store.currentCertificate(eid: moved.eid)
            #expect(try await world.store.certificate(serial: before.serial)?.status == .revoked)
            if rekey {
                #expect(current == nil)
                #expect(try await world.registry.fetchTasks(limit: 10, by: world.mno).first?.kind == .generateKey)
            } else {
                let recertified = try #require(current)
                #expect(recertified.spkiSHA256 == before.spkiSHA256 && recertified.rpid == moved.rpid)
                #expect(try await world.registry.fetchTasks(limit: 10, by: world.mno).isEmpty)
            }
        }
    }
}
