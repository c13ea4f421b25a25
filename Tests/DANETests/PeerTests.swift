import ASPKit
import Crypto
import DANE
import DNSSEC
import DNSWire
import Foundation
import PeerTesting
import Testing

/// Real peers check the middleware: OpenSSL's DANE client verifies the sample ASP, OpenSSL as a device with a
/// software key is admitted and then refused, and BIND's delv validates the TLSA the middleware used.
@Suite struct PeerTests {
    /// A device with a software key in PEM files, for `openssl s_client -cert/-key`, its TLSA published.
    struct OpenSSLDevice {
        let eid: String
        let certificate: [UInt8]
        let certPath: String
        let keyPath: String
        var name: DNSName { try! Fixture.deviceName(eid) }
        var record: ResourceRecord { ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(certificate))) }

        init(scene: Scene, eid: String) throws {
            self.eid = eid
            let key = P256.Signing.PrivateKey()
            certificate = try scene.ca.device(eid: eid, publicKey: key.publicKey)
            certPath = scene.zone.dir.appendingPathComponent("dev-\(eid).pem").path
            keyPath = scene.zone.dir.appendingPathComponent("dev-\(eid).key").path
            try (Fixture.pem(certificate) + Fixture.pem(scene.ca.der)).write(
                toFile: certPath, atomically: true, encoding: .utf8)
            try key.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
        }
    }

    func sClient(_ scene: Scene, _ device: OpenSSLDevice, extra: [String] = []) async throws -> PeerTool.Result {
        try await PeerTool.runDetached(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(scene.port)", "-servername", Fixture.aspFQDN, "-cert",
                device.certPath, "-key", device.keyPath, "-ign_eof",
            ] + extra,
            stdin: Data("HELLO \(device.eid)\nTELEMETRY spaces=3\nBYE\n".utf8), timeout: 30)
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func openSSLDANEClientVerifiesTheSampleASP() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = try OpenSSLDevice(scene: scene, eid: Fixture.eid(50))
        try await scene.zone.publish(ZoneChange(additions: [device.record]))
        let rrdata = "3 1 1 " + Fixture.hex(Fixture.tlsa(scene.aspCertificate).data)
        let good = try await sClient(
            scene, device,
            extra: ["-dane_tlsa_domain", Fixture.aspFQDN, "-dane_tlsa_rrdata", rrdata, "-verify_return_error"])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("Verify return code: 0 (ok)"))
        #expect(good.output.contains("DANE TLSA 3 1 1"))
        #expect(good.stdout.contains("WELCOME ParkoServ \(device.eid)"))
        #expect(good.stdout.contains("OK"))

        let wrong = "3 1 1 " + String(repeating: "ab", count: 32)
        let bad = try await sClient(
            scene, device,
            extra: ["-dane_tlsa_domain", Fixture.aspFQDN, "-dane_tlsa_rrdata", wrong, "-verify_return_error"])
        #expect(bad.status != 0)
        #expect(!bad.stdout.contains("WELCOME"))
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func openSSLDeviceIsAdmittedThenRefusedOnceRemoved() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = try OpenSSLDevice(scene: scene, eid: Fixture.eid(51))
        try await scene.zone.publish(ZoneChange(additions: [device.record]))
        let admitted = try await sClient(scene, device)
        #expect(admitted.stdout.contains("WELCOME ParkoServ \(device.eid)"), "\(admitted.output)")
        #expect(scene.asp.admittedDevices[device.eid] == 1)

        try await scene.zone.publish(ZoneChange(removedNames: [device.name]))
        await scene.authenticator.resolver.flush()  // stands for the 300 s TTL running out
        let refused = try await sClient(scene, device)
        #expect(!refused.stdout.contains("WELCOME"), "\(refused.output)")
        #expect(scene.asp.admittedDevices[device.eid] == 1)
        var seen: [AdmissionEvent] = []
        for await e in scene.authenticator.events {
            seen.append(e)
            if seen.count == 2 { break }
        }
        guard case .refused(device.eid, .revoked, _) = seen.last else { Issue.record("got \(seen)"); return }
    }

    @Test(.enabled(if: PeerTool.isAvailable("delv")))
    func delvValidatesTheTLSATheMiddlewareUsed() async throws {
        let scene = try await Scene(publishDevices: [0])
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        guard case .secure(let records, _) = try await scene.authenticator.resolver.tlsa(device.name),
            let used = records.first
        else {
            Issue.record("the middleware's lookup was not secure")
            return
        }
        let out = try await scene.zone.delv(device.name, "TLSA")
        #expect(out.contains("; fully validated"), "\(out)")
        let flat = out.uppercased().filter { !$0.isWhitespace }
        #expect(flat.contains("TLSA311" + Fixture.hex(used.data).uppercased()), "\(out)")
        // The ASP's TLSA, as the device uses it.
        let aspOut = try await scene.zone.delv(try Fixture.aspTLSAName(port: scene.port), "TLSA")
        #expect(aspOut.contains("; fully validated"))
        // A revoked (absent) device: both say it is proven absent.
        let absent = scene.devices[1].name
        guard case .provenAbsent = try await scene.authenticator.resolver.tlsa(absent) else {
            Issue.record("expected absent")
            return
        }
        let negative = try await scene.zone.delv(absent, "TLSA")
        #expect(negative.contains("; negative response, fully validated"), "\(negative)")
    }
}
