import Crypto
import Foundation
import Payload
import SwiftASN1
import Testing
import X509

@testable import DeviceKit

/// The device accepts a good payload and refuses each defect with its own code; nothing is written on refusal.
@Suite struct PayloadVerifierTests {
    let registry: TestRegistry
    let device: TestDevice
    let verifier: PayloadVerifier

    init() throws {
        registry = try TestRegistry()
        device = try TestDevice(root: registry.root)
        verifier = PayloadVerifier(eid: TestRegistry.eid, registryRoot: registry.root)
    }

    func signedPayload(sequence: UInt64, seed: Bool = true, eid: String = TestRegistry.eid, notAfter: Date? = nil)
        throws -> [UInt8]
    {
        try registry.sign(
            try registry.payload(
                sequence: sequence,
                clientKey: try device.clientKey,
                keyAgreementKey: try device.keyAgreementKey,
                eid: eid,
                notAfter: notAfter,
                seedSignatures: seed
            )
        )
    }

    func expectRefusal(_ code: DeviceKitError.Code, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation)
        async
    {
        let before = try? device.client.readFile(IoTSafePersonalisation.FileID.registryPayload)
        do {
            _ = try await verifier.accept(bytes, client: device.client, writer: device.applet)
            Issue.record("accepted; expected \(code)", sourceLocation: sourceLocation)
        } catch let error as DeviceKitError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
        let after = try? device.client.readFile(IoTSafePersonalisation.FileID.registryPayload)
        #expect(before == after, "a refused payload changed the eSIM", sourceLocation: sourceLocation)
    }

    @Test func acceptsAndLaysOutTheSeedContainers() async throws {
        let bytes = try signedPayload(sequence: 5)
        let accepted = try await verifier.accept(bytes, client: device.client, writer: device.applet)
        #expect(accepted.payload.sequence == 5)
        #expect(accepted.wifiPassphrase == "s3cret-wifi")
        #expect(!accepted.description.contains("s3cret"))
        typealias ID = IoTSafePersonalisation.FileID
        let c = device.client
        #expect(try c.readFile(ID.registryPayload) == bytes)
        #expect(try c.readFile(ID.clientCertificate) == accepted.payload.device.certificate)
        #expect(try c.readFile(ID.rootCertificate) == (try der(registry.root)))
        #expect(try c.readFile(ID.issuingCA) == (try der(registry.issuing)))
        #expect(try c.readFile(ID.aspCertificate) == accepted.payload.asp.certificate)
        #expect(
            String(decoding: try c.readFile(ID.endpoint), as: UTF8.self)
                == #"{"url":"mqtts://mqtt.parkoserv.test:8883","port":8883}"#)
        // The seed middleware's checks: files 9 and 10 verify with the issuing CA (file 7) over files 8 and 3.
        let ca = try #require(
            P256.Signing.PublicKey(try Certificate(derEncoded: try c.readFile(ID.issuingCA)).publicKey))
        let endpointSignature = try P256.Signing.ECDSASignature(derRepresentation: try c.readFile(ID.endpointSignature))
        #expect(ca.isValidSignature(endpointSignature, for: try c.readFile(ID.endpoint)))
        let aspSignature = try P256.Signing.ECDSASignature(
            derRepresentation: try c.readFile(ID.aspCertificateSignature))
        #expect(ca.isValidSignature(aspSignature, for: try c.readFile(ID.aspCertificate)))
        // The next sequence is accepted, the same one again is a replay.
        _ = try await verifier.accept(try signedPayload(sequence: 6), client: c, writer: device.applet)
        await expectRefusal(.rollback, bytes)
    }

    @Test func refusesReplayedAndOlderPayloads() async throws {
        let older = try signedPayload(sequence: 3)
        let current = try signedPayload(sequence: 4)
        _ = try await verifier.accept(current, client: device.client, writer: device.applet)
        await expectRefusal(.rollback, current)
        await expectRefusal(.rollback, older)
    }

    @Test func refusesExpiredOtherDeviceTamperedTruncated() async throws {
        await expectRefusal(.expired, try signedPayload(sequence: 9, notAfter: Date().addingTimeInterval(-10)))
        await expectRefusal(.wrongDevice, try signedPayload(sequence: 9, eid: "89049032123451234512345678901243"))
        var tampered = try signedPayload(sequence: 9)
        tampered[tampered.count - 5] ^= 0x01  // inside the signature
        await expectRefusal(.badSignature, tampered)
        let good = try signedPayload(sequence: 9)
        await expectRefusal(.malformedPayload, Array(good.prefix(good.count / 2)))
        await expectRefusal(.malformedPayload, good + [0x00])
        await expectRefusal(.malformedPayload, [])
    }

    @Test func refusesAnUntrustedSigner() async throws {
        // Signed by a key whose certificate chains to another root.
        let rogue = try TestRegistry()
        let payload = try registry.payload(
            sequence: 9,
            clientKey: try device.clientKey,
            keyAgreementKey: nil
        )
        await expectRefusal(.untrustedSigner, try rogue.sign(payload))
        // Right chain, wrong key (signature by another key under the genuine signer's certificate).
        await expectRefusal(.badSignature, try registry.sign(payload, with: P256.Signing.PrivateKey()))
        // No x5chain at all.
        let bare = try COSESign1.sign(
            payload: payload.encoded(), signer: P256COSESigner(privateKey: registry.payloadKey))
        await expectRefusal(.untrustedSigner, bare.encoded())
    }

    @Test func refusesACertificateForAnotherContainer() async throws {
        // The device certificate is for the spare key (container 2), not the client key (container 1).
        let spare = try device.client.signingPublicKey(IoTSafePersonalisation.spareKeyID)
        let payload = try registry.payload(sequence: 9, clientKey: spare, keyAgreementKey: nil)
        await expectRefusal(.certificateKeyMismatch, try registry.sign(payload))
    }

    @Test func refusesWiFiSealedToAnotherKeyAndBadSeedSignatures() async throws {
        let otherKey = P256.KeyAgreement.PrivateKey().publicKey
        let sealedElsewhere = try registry.payload(
            sequence: 9, clientKey: try device.clientKey, keyAgreementKey: otherKey)
        await expectRefusal(.decryptionFailed, try registry.sign(sealedElsewhere))
        var badSeed = try registry.payload(sequence: 9, clientKey: try device.clientKey, keyAgreementKey: nil)
        badSeed.seedSignatures?.endpointSignature = Array(
            try registry.issuingKey.signature(for: Array("other".utf8)).derRepresentation
        )
        await expectRefusal(.seedSignatureInvalid, try registry.sign(badSeed))
    }

    @Test func refusesAnotherRootAndOtherVersions() async throws {
        var payload = try registry.payload(sequence: 9, clientKey: try device.clientKey, keyAgreementKey: nil)
        payload.registryRoot = try der(try TestRegistry().root)
        await expectRefusal(.rootMismatch, try registry.sign(payload))
        var map = try #require(payload.cbor.mapValue)
        map[1] = 2
        let v2 = try COSESign1.sign(
            payload: CBOR.map(map).encoded(),
            protected: COSEHeaders(x5chain: [try der(registry.payloadSigner), try der(registry.issuing)]),
            signer: P256COSESigner(privateKey: registry.payloadKey)
        )
        await expectRefusal(.unsupportedVersion, v2.encoded())
    }

    @Test func aRebootKeepsIdentityAndTheAntiRollbackRecord() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iotsafe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("esim.json")
        let first = try TestDevice(stateFile: file, root: registry.root)
        let payload = try registry.payload(
            sequence: 20,
            clientKey: try first.clientKey,
            keyAgreementKey: try first.keyAgreementKey
        )
        let bytes = try registry.sign(payload)
        _ = try await verifier.accept(bytes, client: first.client, writer: first.applet)
        // Reboot: a new simulator over the same file, no key generation.
        let applet = try SimulatedIoTSafeApplet(stateFile: file)
        let client = try IoTSafeClient(applet: applet)
        #expect(try client.signingPublicKey().rawRepresentation == (try first.clientKey).rawRepresentation)
        do {
            _ = try await verifier.accept(bytes, client: client, writer: applet)
            Issue.record("replay after reboot accepted")
        } catch let error as DeviceKitError {
            #expect(error.code == .rollback)
        }
    }
}

extension PayloadVerifierTests {
    /// Mutated and truncated deliveries: the verifier throws a DeviceKitError, never traps, never writes.
    @Test func fuzzedDeliveriesAreRefused() async throws {
        let good = try signedPayload(sequence: 50)
        var rng = SplitMix64(state: 0xC05E)
        for _ in 0..<300 {
            var bytes = good
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            default:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            }
            do {
                _ = try await verifier.verify(bytes, lastSequence: nil, clientKey: try device.clientKey)
                // A flip inside an unprotected or unused byte can leave a valid message; it must then equal the original.
                #expect(try COSESign1(decoding: bytes).payload == (try COSESign1(decoding: good).payload))
            } catch is DeviceKitError {
                continue
            }
        }
    }
}
