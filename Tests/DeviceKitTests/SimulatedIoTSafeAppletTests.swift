import Crypto
import Foundation
import Testing

@testable import DeviceKit

/// The simulator against GSMA IoT.05 behaviour (reference §3): commands, TLVs, status words.
@Suite struct SimulatedIoTSafeAppletTests {
    typealias SW = IoTSafeStatusWord

    static func sw(_ response: [UInt8]) -> SW {
        SW(rawValue: UInt16(response[response.count - 2]) << 8 | UInt16(response[response.count - 1]))
    }

    static func expectStatus(_ sw: SW, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected status word \(sw)", sourceLocation: sourceLocation)
        } catch let error as DeviceKitError {
            #expect(error.statusWord == sw.rawValue, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func selectionChannelsAndClassRules() throws {
        let applet = try SimulatedIoTSafeApplet()
        // CIRA's recovery script, with the GSMA AID: open channel 1, select on it.
        #expect(try applet.transmit([UInt8](hex: "0070000001")) == [0x01, 0x90, 0x00])
        #expect(Self.sw(try applet.transmit([UInt8](hex: "01A4040007A0000005590010"))) == .ok)
        #expect(Self.sw(try applet.transmit([UInt8](hex: "01A4040007A0000002480400"))) == .fileNotFound)
        // Channel 0 is open but nothing is selected on it.
        #expect(Self.sw(try applet.transmit([UInt8](hex: "0084000010"))) == .conditionsNotSatisfied)
        #expect(Self.sw(try applet.transmit([UInt8](hex: "0184000010"))).rawValue == 0x9000)
        #expect(Self.sw(try applet.transmit([UInt8](hex: "0284000010"))) == .classNotSupported)  // channel 2 closed
        #expect(Self.sw(try applet.transmit([UInt8](hex: "A084000010"))) == .classNotSupported)
        #expect(Self.sw(try applet.transmit([UInt8](hex: "01FE0000"))) == .instructionNotSupported)
        #expect(Self.sw(try applet.transmit([UInt8](hex: "01B9"))) == .wrongLength)
        #expect(Self.sw(try applet.transmit([UInt8](hex: "01B900000584"))) == .wrongLength)  // Lc beyond data
        #expect(try applet.transmit([UInt8](hex: "00708001")) == [0x90, 0x00])
        #expect(Self.sw(try applet.transmit([UInt8](hex: "0184000010"))) == .classNotSupported)
    }

    @Test func generateKeyPairReplacesOnlyExistingContainers() throws {
        let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        Self.expectStatus(.conditionsNotSatisfied) { _ = try client.readPublicKey(1) }  // empty until B9
        let first = try client.generateKeyPair(in: 1)
        #expect(first.count == 65 && first[0] == 0x04)
        #expect(try client.readPublicKey(1) == first)
        let second = try client.generateKeyPair(in: 1)
        #expect(second != first)
        Self.expectStatus(.referencedDataNotFound) { _ = try client.generateKeyPair(in: 0x55) }
        Self.expectStatus(.referencedDataNotFound) { _ = try client.generateKeyPair(in: 0x10) }  // public-only slot
        // Label instead of ID works; both at once is refused.
        _ = try client.command(0xB9, data: IoTSafeTLV(0x74, Array("spare".utf8)).encoded)
        Self.expectStatus(.incorrectData) {
            _ = try client.command(0xB9, data: [IoTSafeTLV(0x84, [2]), IoTSafeTLV(0x74, Array("spare".utf8))].encoded)
        }
    }

    @Test func getDataListsTheFixedContainers() throws {
        let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        let info = try #require(IoTSafeTLV.parse(try client.command(0xCB, p1: 0x00)))
        #expect(info.first(0xB2) == [3])
        #expect(info.first(0x92) == [0x04])
        let list = try #require(IoTSafeTLV.parse(try client.command(0xCB, p1: 0x01)))
        #expect(list.filter { $0.tag == 0xC1 }.count == 3)
        #expect(list.filter { $0.tag == 0xC3 }.count == 8)
        let key = try #require(
            IoTSafeTLV.parse(try client.command(0xCB, p1: 0xC1, data: IoTSafeTLV(0x84, [1]).encoded)))
        #expect(key.first(0x4B) == [0x13])
        #expect(key.first(0x4A) == [0x00])
    }

    @Test func signaturesInBothModesVerifyWithSwiftCrypto() throws {
        let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        let publicKey = try P256.Signing.PublicKey(x963Representation: try client.generateKeyPair(in: 1))
        let message = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0) })
        let full = try client.sign(message: message)
        #expect(publicKey.isValidSignature(try .init(rawRepresentation: full), for: message))
        let hashed = try client.sign(digest: Array(SHA256.hash(data: message)), session: 2)
        #expect(publicKey.isValidSignature(try .init(rawRepresentation: hashed), for: message))
        // CIRA README recipe (channel → ours, key 1, mode 3, SHA-256 as 2 bytes, ECDSA): init accepted.
        let cla = client.channel
        #expect(Self.sw(try client.applet.transmit([cla] + [UInt8](hex: "2A00000D840101A1010391020001920104"))) == .ok)
    }

    @Test func signingRulesAndStatusWords() throws {
        let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        let digest = [UInt8](repeating: 7, count: 32)
        Self.expectStatus(.conditionsNotSatisfied) { _ = try client.sign(digest: digest) }  // no key yet
        _ = try client.generateKeyPair(in: 3)
        Self.expectStatus(.conditionsNotSatisfied) { _ = try client.sign(digest: digest, with: 3) }  // key agreement
        Self.expectStatus(.referencedDataNotFound) { _ = try client.sign(digest: digest, with: 9) }
        _ = try client.generateKeyPair(in: 1)
        Self.expectStatus(.conditionsNotSatisfied) { _ = try client.command(0x2B, p1: 0x80, p2: 1) }  // no session
        Self.expectStatus(.wrongLength) { _ = try client.sign(digest: [1, 2, 3]) }
        Self.expectStatus(.wrongParameters) { _ = try client.sign(digest: digest, session: 9) }
        // Mode 02 (last block + intermediate hash) is not offered.
        Self.expectStatus(.incorrectData) {
            _ = try client.command(
                0x2A,
                data: [IoTSafeTLV(0x84, [1]), IoTSafeTLV(0xA1, [2]), IoTSafeTLV(0x91, [1]), IoTSafeTLV(0x92, [4])]
                    .encoded
            )
        }
    }

    @Test func verifySignatureRefusesTheWrongContainer() throws {
        let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        _ = try client.generateKeyPair(in: 1)
        _ = try client.generateKeyPair(in: 2)
        let digest = Array(SHA256.hash(data: Array("tbs".utf8)))
        let byClient = try client.sign(digest: digest, with: 1)
        let bySpare = try client.sign(digest: digest, with: 2)
        try client.verify(signature: byClient, digest: digest, with: 1)
        Self.expectStatus(.signatureMismatch) { try client.verify(signature: bySpare, digest: digest, with: 1) }
        // A peer key loaded with PUT PUBLIC KEY verifies the peer's signature.
        let peer = P256.Signing.PrivateKey()
        try client.putPublicKey(Array(peer.publicKey.x963Representation))
        let peerSignature = Array(try peer.signature(for: Array("tbs".utf8)).rawRepresentation)
        try client.verify(signature: peerSignature, digest: digest, with: 0x10)
        // A key pair's public half cannot be overwritten.
        Self.expectStatus(.securityStatusNotSatisfied) {
            try client.putPublicKey(Array(peer.publicKey.x963Representation), into: 1)
        }
        Self.expectStatus(.incorrectData) { try client.putPublicKey([UInt8](repeating: 4, count: 65)) }
    }

    @Test func computeDHMatchesSwiftCrypto() throws {
        let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        let esim = try P256.KeyAgreement.PublicKey(x963Representation: try client.generateKeyPair(in: 3))
        Self.expectStatus(.conditionsNotSatisfied) { _ = try client.computeDH(privateKeyID: 3, publicKeyID: 0x10) }
        let peer = P256.KeyAgreement.PrivateKey()
        try client.putPublicKey(Array(peer.publicKey.x963Representation))
        let ours = try client.computeDH(privateKeyID: 3, publicKeyID: 0x10)
        let theirs = try peer.sharedSecretFromKeyAgreement(with: esim).withUnsafeBytes { Array($0) }
        #expect(ours == theirs && ours.count == 32)
        _ = try client.generateKeyPair(in: 1)
        Self.expectStatus(.conditionsNotSatisfied) { _ = try client.computeDH(privateKeyID: 1, publicKeyID: 0x10) }
    }

    @Test func randomAndFiles() throws {
        let applet = try SimulatedIoTSafeApplet()
        let client = try IoTSafeClient(applet: applet)
        let a = try client.random(32)
        let b = try client.random(32)
        #expect(a.count == 32 && a != b)
        #expect(try client.random(256).count == 256)
        Self.expectStatus(.wrongLength) { _ = try client.command(0x84) }
        let certificate = Array((0..<1500).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try applet.writeFiles([IoTSafePersonalisation.FileID.clientCertificate: certificate])
        #expect(try client.fileSize(2) == 1500)
        #expect(try client.readFile(2) == certificate)
        #expect(try client.readFile(0x20).isEmpty)
        Self.expectStatus(.referencedDataNotFound) { _ = try client.readFile(0x44) }
        #expect(throws: DeviceKitError(.fileTooLarge, "")) {
            try applet.writeFiles([8: Array(repeating: 1, count: 257)])
        }
        #expect(throws: DeviceKitError(.unknownContainer, "")) { try applet.writeFiles([0x44: [1]]) }
    }

    @Test func readFileAnswers6984DuringRemoteFileManagement() throws {
        let applet = try SimulatedIoTSafeApplet()
        let client = try IoTSafeClient(applet: applet)
        try applet.writeFiles([IoTSafePersonalisation.FileID.endpoint: Array("{}".utf8)])
        applet.beginRemoteFileManagement()
        Self.expectStatus(.remoteAdminInProgress) {
            _ = try client.command(
                0xB0, data: IoTSafeTLV(0x83, [IoTSafePersonalisation.FileID.endpoint]).encoded, le: 0)
        }
        try applet.writeFiles([IoTSafePersonalisation.FileID.endpoint: Array("{\"port\":1}".utf8)])
        #expect(try client.readFile(IoTSafePersonalisation.FileID.endpoint) == Array("{\"port\":1}".utf8))
    }

    @Test func stateSurvivesARebootInA0600File() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iotsafe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("esim.json")
        let before: [UInt8]
        do {
            let client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet(stateFile: file))
            before = try client.generateKeyPair(in: 1)
        }
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let rebooted = try IoTSafeClient(applet: try SimulatedIoTSafeApplet(stateFile: file))
        #expect(try rebooted.readPublicKey(1) == before)
        let digest = [UInt8](repeating: 1, count: 32)
        let signature = try rebooted.sign(digest: digest)
        let key = try P256.Signing.PublicKey(x963Representation: before)
        #expect(key.isValidSignature(try .init(rawRepresentation: signature), for: PrehashedSHA256(digest)!))
        try Data("garbage".utf8).write(to: file)
        #expect(throws: DeviceKitError(.stateFile, "")) { try SimulatedIoTSafeApplet(stateFile: file) }
    }

    /// Random and mutated APDUs: always a response ending in a status word, never a trap.
    @Test func fuzzAPDUsNeverTrap() throws {
        let applet = try SimulatedIoTSafeApplet()
        let client = try IoTSafeClient(applet: applet)
        _ = try client.generateKeyPair(in: 1)
        let seeds: [[UInt8]] = [
            [UInt8](hex: "01A4040007A0000005590010"), [UInt8](hex: "012A00000D840101A1010391020001920104"),
            [UInt8](hex: "01B9000003840101"), [UInt8](hex: "01B0000003830102FF"),
            [UInt8](hex: "01D880000734054903860104"),
        ]
        var rng = SplitMix64(state: 0x5AFE)
        for i in 0..<20_000 {
            var apdu: [UInt8]
            if i % 2 == 0 {
                apdu = (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                apdu = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                apdu[Int.random(in: 0..<apdu.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                if Bool.random(using: &rng) { apdu.removeLast(Int.random(in: 0..<apdu.count, using: &rng)) }
            }
            if apdu.count > 1 && apdu[1] == 0x70 { continue }  // keep channel 1 open and selected
            let response = try applet.transmit(apdu)
            #expect(response.count >= 2)
        }
        // Still usable afterwards.
        _ = try client.sign(digest: [UInt8](repeating: 2, count: 32))
    }
}
