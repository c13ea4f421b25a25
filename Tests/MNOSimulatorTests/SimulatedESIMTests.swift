import Crypto
import DeviceKit
import Foundation
import PKI
import Payload
import Testing
import X509

@testable import MNOSimulator

/// One eSIM driven directly: key and CSR, certificate, payload delivery and its refusals, re-key, reboot, wipe.
@Suite struct SimulatedESIMTests {
    let registry: TestRegistry
    let directory: URL
    let eid = testEID(1)

    init() throws {
        registry = try TestRegistry()
        directory = try temporaryDirectory()
    }

    func makeESIM() throws -> SimulatedESIM {
        try SimulatedESIM(personalising: eid, registryRoot: registry.root.certificate, directory: directory)
    }

    /// Key, certificate and payload sequence `sequence`: the device is activated.
    func activate(_ esim: SimulatedESIM, sequence: UInt64 = 1) async throws -> (Certificate, [UInt8]) {
        let request = try await esim.makeKeyAndCSR()
        let certificate = try registry.issue(csrPEM: request.csrPEM, eid: eid)
        try await esim.install(certificate: certificate)
        let payload = try registry.signedPayload(
            eid: eid, sequence: sequence, deviceCertificate: certificate,
            keyAgreementKey: try P256.KeyAgreement.PublicKey(x963Representation: request.keyAgreementPublicKey))
        _ = try await esim.deliver(payload: payload)
        return (certificate, payload)
    }

    @Test func csrIsSignedByTheKeyInTheApplet() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        let request = try await esim.makeKeyAndCSR()
        #expect(request.signatureKeyID == IoTSafePersonalisation.clientKeyID)
        let csr = try ValidatedCSR(pemOrDER: Array(request.csrPEM.utf8))  // checks the signature
        let key = try #require(await esim.signingPublicKey(request.signatureKeyID))
        #expect(csr.publicKey == Certificate.PublicKey(key))
        #expect(request.keyAgreementPublicKey.count == 65)
        #expect(
            request.keyAgreementPublicKey == Array(try #require(await esim.keyAgreementPublicKey()).x963Representation))
        #expect(try ValidatedCSR(pemOrDER: request.csrDER).publicKey == csr.publicKey)
    }

    /// The private scalars are in the applet's state file only: no answer of the eSIM contains one.
    @Test func privateKeysNeverLeaveTheApplet() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        let (_, payload) = try await activate(esim)
        let request = try await esim.makeKeyAndCSR()
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: esim.stateFile)) as? [String: Any]
        let raw = try #require(state?["privateKeys"] as? [String: String])  // container id → base64 scalar
        let scalars = raw.values.compactMap { Data(base64Encoded: $0).map(Array.init) }.filter { $0.count == 32 }
        #expect(scalars.count == 3)
        var answers: [[UInt8]] = [request.csrDER, Array(request.csrPEM.utf8), request.keyAgreementPublicKey, payload]
        answers += try await esim.certificateChainDER()
        answers.append(Array(String(describing: request).utf8))
        for scalar in scalars {
            for answer in answers {
                #expect(!answer.hex.contains(scalar.hex), "a private key appears in an answer of the eSIM")
            }
        }
    }

    @Test func deliveryStoresAVerifiedPayloadAndTheSeedLayout() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        #expect(try await esim.activeSignatureContainer() == nil)
        let (certificate, payload) = try await activate(esim, sequence: 3)
        #expect(try await esim.payloadSequence() == 3)
        #expect(try await esim.signedPayload() == payload)
        let current = try #require(try await esim.currentPayload())
        #expect(current.device.eid == eid)
        #expect(current.asp.fqdn == "mqtt.parkoserv.test")
        #expect(try await esim.activeSignatureContainer() == IoTSafePersonalisation.clientKeyID)
        #expect(try await esim.certificateChainDER() == [try der(certificate), try der(registry.issuing.certificate)])
        #expect(
            try await esim.readFile(IoTSafePersonalisation.FileID.rootCertificate)
                == (try der(registry.root.certificate)))
        #expect(try await esim.wifiPassphrase() == "s3cret-wifi")
        #expect(try await esim.pendingCertificate() == nil)
        // The same bytes again: accepted again, nothing changes.
        let again = try await esim.deliver(payload: payload)
        #expect(again.alreadyHeld)
        #expect(again.payload.sequence == 3)
    }

    func expectRefusal(
        _ code: DeviceKitError.Code, _ esim: SimulatedESIM, _ bytes: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await esim.signedPayload()
        do {
            _ = try await esim.deliver(payload: bytes)
            Issue.record("accepted; expected \(code)", sourceLocation: sourceLocation)
        } catch let error as DeviceKitError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
        }
        #expect(
            try await esim.signedPayload() == before, "a refused payload changed the eSIM",
            sourceLocation: sourceLocation)
    }

    @Test func refusesTamperedOlderOtherDeviceAndExpiredPayloads() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        let (certificate, _) = try await activate(esim, sequence: 5)
        let key = await esim.keyAgreementPublicKey()
        func payload(_ sequence: UInt64, notAfter: Date? = nil, payloadEID: String? = nil) throws -> [UInt8] {
            try registry.signedPayload(
                eid: eid, sequence: sequence, deviceCertificate: certificate, keyAgreementKey: key,
                notAfter: notAfter, payloadEID: payloadEID)
        }
        var tampered = try payload(6)
        tampered[tampered.count - 10] ^= 0x01  // inside the signature
        try await expectRefusal(.badSignature, esim, tampered)
        try await expectRefusal(.rollback, esim, try payload(4))
        try await expectRefusal(.rollback, esim, try payload(5))
        try await expectRefusal(.wrongDevice, esim, try payload(6, payloadEID: testEID(2)))
        try await expectRefusal(.expired, esim, try payload(6, notAfter: registry.now - 10))
        try await expectRefusal(.malformedPayload, esim, Array(try payload(6).prefix(40)))
        // A certificate for a key that is not on this eSIM.
        let stranger = try DeviceCertificateProfile(
            publicKey: .init(P256.Signing.PrivateKey().publicKey), rpid: 1, eid: eid, zone: "iotregistry.test",
            urls: registry.urls
        ).issue(by: registry.issuing)
        try await expectRefusal(
            .certificateKeyMismatch, esim,
            try registry.signedPayload(eid: eid, sequence: 6, deviceCertificate: stranger, keyAgreementKey: key))
        #expect(try await esim.payloadSequence() == 5)
        #expect(try await esim.deliver(payload: try payload(6)).payload.sequence == 6)
    }

    /// Deterministic mutations of a good payload (one to three bytes changed, or cut short): each one is refused with
    /// a DeviceKitError, nothing traps, and the eSIM keeps its payload.
    @Test func mutatedPayloadsAreRefusedWithoutTrapping() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        let (certificate, held) = try await activate(esim, sequence: 1)
        let good = try registry.signedPayload(
            eid: eid, sequence: 2, deviceCertificate: certificate, keyAgreementKey: await esim.keyAgreementPublicKey())
        var rng = SplitMix64(state: 0x5EED_0005)
        for round in 0..<300 {
            var bytes = good
            if round % 10 == 9 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            } else {
                for _ in 0...Int.random(in: 0...2, using: &rng) {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    var value = UInt8.random(in: 0...255, using: &rng)
                    if value == bytes[index] { value ^= 0x01 }
                    bytes[index] = value
                }
            }
            do {
                _ = try await esim.deliver(payload: bytes)
                Issue.record("mutation \(round) was accepted")
            } catch is DeviceKitError {
            } catch {
                Issue.record("mutation \(round): unexpected \(error)")
            }
        }
        #expect(try await esim.signedPayload() == held)
    }

    @Test func reKeyKeepsTheOldKeyUntilAPayloadNamesTheNewOne() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        _ = try await activate(esim)
        let oldKey = try #require(await esim.signingPublicKey(1))
        let request = try await esim.makeKeyAndCSR()
        #expect(request.signatureKeyID == IoTSafePersonalisation.spareKeyID)
        #expect(await esim.signingPublicKey(1)?.x963Representation == oldKey.x963Representation)
        #expect(try await esim.activeSignatureContainer() == 1)
        let certificate = try registry.issue(csrPEM: request.csrPEM, eid: eid, rpid: 2)
        try await esim.install(certificate: certificate)
        #expect(try await esim.pendingCertificate() == certificate)
        #expect(try await esim.activeSignatureContainer() == 1)
        let delivery = try await esim.deliver(
            payload: try registry.signedPayload(
                eid: eid, sequence: 2, deviceCertificate: certificate,
                keyAgreementKey: await esim.keyAgreementPublicKey()))
        #expect(delivery.signatureKeyID == 2)
        #expect(try await esim.activeSignatureContainer() == 2)
        #expect(try await esim.pendingCertificate() == nil)
        // The next re-key goes back to container 1.
        #expect(try await esim.makeKeyAndCSR().signatureKeyID == 1)
        #expect(try await esim.activeSignatureContainer() == 2)
        // A certificate for no key of this eSIM is refused.
        let stranger = try DeviceCertificateProfile(
            publicKey: .init(P256.Signing.PrivateKey().publicKey), rpid: 1, eid: eid, zone: "iotregistry.test",
            urls: registry.urls
        ).issue(by: registry.issuing)
        await #expect(throws: DeviceKitError(.certificateKeyMismatch, "")) {
            try await esim.install(certificate: stranger)
        }
    }

    @Test func rebootKeepsKeysAndPayload() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        let (_, payload) = try await activate(esim, sequence: 7)
        let keys = [
            await esim.signingPublicKey(1)?.x963Representation, await esim.signingPublicKey(2)?.x963Representation,
        ]
        let keyAgreement = await esim.keyAgreementPublicKey()?.x963Representation
        let rebooted = try SimulatedESIM(loading: eid, directory: directory)
        #expect(rebooted.registryRoot == registry.root.certificate)
        #expect(
            [
                await rebooted.signingPublicKey(1)?.x963Representation,
                await rebooted.signingPublicKey(2)?.x963Representation,
            ]
                == keys)
        #expect(await rebooted.keyAgreementPublicKey()?.x963Representation == keyAgreement)
        #expect(try await rebooted.signedPayload() == payload)
        #expect(try await rebooted.payloadSequence() == 7)
        #expect(try await rebooted.currentPayload()?.sequence == 7)
        #expect(try await rebooted.wifiPassphrase() == "s3cret-wifi")
        #expect(throws: MNOSimulatorError(.duplicateDevice, "")) { _ = try makeESIM() }
        #expect(throws: MNOSimulatorError(.unknownDevice, "")) {
            _ = try SimulatedESIM(loading: testEID(99), directory: directory)
        }
        #expect(throws: MNOSimulatorError(.invalidEID, "")) {
            _ = try SimulatedESIM(loading: "../../etc/passwd", directory: directory)
        }
    }

    @Test func wipeErasesPayloadAndCertificatesButKeepsKeysAndRoot() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let esim = try makeESIM()
        _ = try await activate(esim)
        let key = await esim.signingPublicKey(1)?.x963Representation
        try await esim.wipe()
        try await esim.wipe()
        #expect(try await esim.signedPayload().isEmpty)
        #expect(try await esim.currentPayload() == nil)
        #expect(try await esim.certificateChainDER().isEmpty)
        #expect(try await esim.activeSignatureContainer() == nil)
        #expect(await esim.signingPublicKey(1)?.x963Representation == key)
        #expect(
            try await esim.readFile(IoTSafePersonalisation.FileID.rootCertificate)
                == (try der(registry.root.certificate)))
        // Reactivation works after a wipe.
        _ = try await activate(esim, sequence: 9)
        #expect(try await esim.payloadSequence() == 9)
    }
}
