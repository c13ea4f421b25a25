import ASPKit
import Crypto
import DANE
import DNSSEC
import DNSWire
import DeviceAgent
import DeviceKit
import Foundation
import Testing

/// Device agent and ASP middleware against each other, with a real signed zone served over DoT on 127.0.0.1.
@Suite struct MutualDANETests {
    /// The first `count` events the ASP published.
    func events(_ auth: DANEClientAuthenticator, _ count: Int) async -> [AdmissionEvent] {
        var out: [AdmissionEvent] = []
        for await e in auth.events {
            out.append(e)
            if out.count == count { break }
        }
        return out
    }

    @Test func deviceIsAdmittedWhenItsTLSAMatches() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let connection = try await scene.agent(0).connect()
        #expect(connection.welcome == "WELCOME ParkoServ \(scene.devices[0].eid)")
        try await connection.telemetry("occupancy=1")
        await connection.close()
        guard case .admitted(let eid, _, let tlsa) = await events(scene.authenticator, 1).first else {
            Issue.record("expected an admitted event")
            return
        }
        #expect(eid == scene.devices[0].eid)
        #expect(tlsa.usage == .daneEE)
        #expect(scene.asp.admittedDevices[scene.devices[0].eid] == 1)
        #expect(scene.asp.telemetryReceived[scene.devices[0].eid] == 1)
    }

    @Test func revokedDeviceIsRefused() async throws {
        // Device 1 was never published: its name is a validated NXDOMAIN.
        let scene = try await Scene(publishDevices: [0])
        defer { Task { await scene.stop() } }
        await #expect(throws: DeviceAgentError.self) { try await scene.agent(1).connect(selfAttestation: false) }
        guard case .refused(let eid, .revoked, _) = await events(scene.authenticator, 1).first else {
            Issue.record("expected a revoked refusal")
            return
        }
        #expect(eid == scene.devices[1].eid)
    }

    @Test func removedFromTheZoneIsRefusedOnceTheCacheExpires() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let first = try await scene.agent(0).connect()
        await first.close()
        try await scene.zone.publish(ZoneChange(removedNames: [scene.devices[0].name]))
        await scene.authenticator.resolver.flush()  // stands for the TTL running out
        await #expect(throws: DeviceAgentError.self) { try await scene.agent(0).connect(selfAttestation: false) }
        let seen = await events(scene.authenticator, 2)
        #expect(seen.first?.isAdmitted == true)
        guard case .refused(_, .revoked, _) = seen.last else { Issue.record("expected revoked, got \(seen)"); return }
    }

    @Test func substitutedKeyIsRefused() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        // Device 0's name now publishes device 1's key.
        try await scene.zone.publish(
            ZoneChange(
                removals: [scene.devices[0].tlsaRecord],
                additions: [
                    ResourceRecord(
                        name: scene.devices[0].name, ttl: 300, rdata: .tlsa(Fixture.tlsa(scene.devices[1].certificate)))
                ]))
        await #expect(throws: DeviceAgentError.self) { try await scene.agent(0).connect(selfAttestation: false) }
        guard case .refused(_, .substitutedKey, _) = await events(scene.authenticator, 1).first else {
            Issue.record("expected substitutedKey")
            return
        }
    }

    @Test func bogusZoneIsRefused() async throws {
        let scene = try await Scene(aspResolver: { zone in
            let other = try! SignedZone(
                apex: Fixture.apex, records: zone.zone.records.filter { $0.type == .soa || $0.type == .ns },
                keys: .generate())
            return zone.resolver(anchors: [try! TrustAnchor(record: other.dsRecord)])
        })
        defer { Task { await scene.stop() } }
        await #expect(throws: DeviceAgentError.self) { try await scene.agent(0).connect() }
        guard case .refused(_, .bogus, _) = await events(scene.authenticator, 1).first else {
            Issue.record("expected bogus")
            return
        }
    }

    @Test func wrongResolverPinFailsClosed() async throws {
        let scene = try await Scene(aspResolver: { $0.resolver(pin: [UInt8](repeating: 7, count: 32)) })
        defer { Task { await scene.stop() } }
        await #expect(throws: DeviceAgentError.self) { try await scene.agent(0).connect() }
        guard case .refused(_, .lookupFailed, let detail) = await events(scene.authenticator, 1).first else {
            Issue.record("expected lookupFailed")
            return
        }
        #expect(detail.contains("pin"))
        // The device with a wrong pin refuses too, before any TLS to the ASP.
        let deviceSide = try scene.agent(0, resolver: scene.zone.resolver(pin: [UInt8](repeating: 9, count: 32)))
        let error = await #expect(throws: DeviceAgentError.self) { try await deviceSide.connect() }
        #expect(error?.code == .lookupFailed)
    }

    @Test func deviceRefusesAServerThatDoesNotMatchItsTLSA() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let name = try Fixture.aspTLSAName(port: scene.port)
        let impostorKey = P256.Signing.PrivateKey()
        let impostor = try scene.ca.issue(
            publicKey: impostorKey.publicKey, commonName: Fixture.aspFQDN, dnsNames: [Fixture.aspFQDN],
            clientAuth: false)
        try await scene.zone.publish(
            ZoneChange(
                removals: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(scene.aspCertificate)))],
                additions: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(impostor)))]))
        let error = await #expect(throws: DeviceAgentError.self) { try await scene.agent(0).connect() }
        #expect(error?.code == .serverNotAuthenticated)
    }

    @Test func deviceAcceptsADANETAServerWithItsName() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let name = try Fixture.aspTLSAName(port: scene.port)
        try await scene.zone.publish(
            ZoneChange(
                removals: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(scene.aspCertificate)))],
                additions: [
                    ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(scene.ca.der, usage: .daneTA)))
                ]))
        let connection = try await scene.agent(0).connect()
        #expect(connection.welcome.hasPrefix("WELCOME"))
        await connection.close()
    }

    @Test func selfAttestationFailsClosedWithAReason() async throws {
        let scene = try await Scene(publishDevices: [0])
        defer { Task { await scene.stop() } }
        #expect(try await scene.agent(0).selfAttest() == Fixture.tlsa(scene.devices[0].certificate))
        let absent = await #expect(throws: DeviceAgentError.self) { try await scene.agent(1).connect() }
        #expect(absent?.code == .selfAttestationFailed)
        #expect(absent?.reason.contains("revoked") == true)
        try await scene.zone.publish(
            ZoneChange(
                removals: [scene.devices[0].tlsaRecord],
                additions: [
                    ResourceRecord(
                        name: scene.devices[0].name, ttl: 300, rdata: .tlsa(Fixture.tlsa(scene.devices[1].certificate)))
                ]))
        let replaced = await #expect(throws: DeviceAgentError.self) { try await scene.agent(0).selfAttest() }
        #expect(replaced?.code == .selfAttestationFailed)
        #expect(replaced?.reason.contains("does not match") == true)
    }

    @Test func issuerTAAdmitsOnlyWhenEnabledAndTheNameExists() async throws {
        let scene = try await Scene(acceptIssuerTA: true)
        defer { Task { await scene.stop() } }
        // Device 0 re-keyed: the zone still has its old key, the new certificate comes from the registry's CA.
        try await scene.zone.publish(
            ZoneChange(
                removals: [scene.devices[0].tlsaRecord],
                additions: [
                    ResourceRecord(
                        name: scene.devices[0].name, ttl: 300, rdata: .tlsa(Fixture.tlsa(scene.devices[1].certificate)))
                ]))
        let connection = try await scene.agent(0).connect(selfAttestation: false)
        await connection.close()
        guard case .admitted(_, _, let tlsa) = await events(scene.authenticator, 1).first else {
            Issue.record("expected admission through _ca._device")
            return
        }
        #expect(tlsa.usage == .daneTA)
    }

    @Test func certificatesWithoutOneIdentityUnderTheZoneAreUnknown() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let key = P256.Signing.PrivateKey().publicKey
        let outside = try scene.ca.issue(
            publicKey: key, commonName: "x", dnsNames: ["\(Fixture.eid(1))._device.example.test"], clientAuth: true)
        let two = try scene.ca.issue(
            publicKey: key, commonName: "x",
            dnsNames: ["\(Fixture.eid(1))._device.iotregistry.test", "\(Fixture.eid(2))._device.iotregistry.test"],
            clientAuth: true)
        let deep = try scene.ca.issue(
            publicKey: key, commonName: "x", dnsNames: ["a.\(Fixture.eid(1))._device.iotregistry.test"],
            clientAuth: true)
        for der in [outside, two, deep, [0x30, 0x03, 0x02, 0x01, 0x00]] {
            guard case .refused(nil, .unknown, _) = await scene.authenticator.evaluate(chain: [der]) else {
                Issue.record("expected unknown")
                continue
            }
        }
        guard case .refused(nil, .unknown, _) = await scene.authenticator.evaluate(chain: []) else {
            Issue.record("no certificate is unknown")
            return
        }
    }

    @Test func theIoTSafeKeySignsWhatP256Verifies() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(1), ca: try TestCA())
        let content = Array("TLS 1.3, client CertificateVerify".utf8)
        let der = try IoTSafePrivateKey.signForTesting(content, client: device.client)
        let signature = try P256.Signing.ECDSASignature(derRepresentation: der)
        #expect(try device.client.signingPublicKey().isValidSignature(signature, for: content))
    }
}
