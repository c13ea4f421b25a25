import Crypto
import Foundation
import PKI
import PeerTesting
import Testing

@testable import MNOSimulator

/// Python's `cbor2` (a CBOR implementation we did not write) decodes the payload the eSIM stores after delivery.
@Suite struct PayloadPeerTests {
    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["cbor2"])))
    func cbor2DecodesThePayloadStoredOnTheESIM() async throws {
        let registry = try TestRegistry()
        let channel = FakeMNOChannel(registry: registry)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mno = try SimulatedMNO(
            channel: channel, directory: directory, registryRoot: registry.root.certificate,
            configuration: .init(longPollSeconds: 1))
        let eid = testEID(7)
        let esim = try await mno.addDevice(eid: eid)
        await channel.enqueue(.generateKey, eid: eid)
        await mno.start()
        _ = try await mno.until(timeout: .seconds(60)) { $0.succeeded(.deliverPayload) >= 1 }
        await mno.stop()
        let stored = try await esim.signedPayload()
        let script = """
            import sys, cbor2
            message = cbor2.loads(bytes.fromhex(sys.stdin.read().strip()))
            assert isinstance(message, cbor2.CBORTag) and message.tag == 18, "not a tagged COSE_Sign1"
            protected, unprotected, payload, signature = message.value
            headers = cbor2.loads(protected)
            body = cbor2.loads(payload)
            print(headers[1], len(headers[33]), len(signature), body[1], body[2], body[5][1], body[6][1])
            """
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(stored.hex.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
                == ["-7", "2", "64", "1", "1", eid, "mqtt.parkoserv.test"])
    }
}
