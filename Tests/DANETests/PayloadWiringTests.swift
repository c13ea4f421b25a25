import ASPKit
import DANE
import DNSSEC
import DNSWire
import DeviceAgent
import Foundation
import Payload
import Testing

/// The lead's path: a DeviceAgent built from a (verified) RegistryPayload alone reaches the sample ASP.
@Suite struct PayloadWiringTests {
    @Test func agentFromAPayloadConnects() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let ds = scene.zone.zone.dsRecord
        guard case .ds(let d) = ds.rdata else {
            Issue.record("no DS")
            return
        }
        let payload = RegistryPayload(
            sequence: 1, issuedAt: Date(), notAfter: Date() + 3600,
            device: .init(
                eid: device.eid, rpid: 11, dnsName: "\(device.eid)._device.iotregistry.test",
                certificate: device.certificate, issuingCA: scene.ca.der),
            asp: .init(
                fqdn: Fixture.aspFQDN, port: UInt16(scene.port), url: "tls://\(Fixture.aspFQDN):\(scene.port)",
                protocol: "telemetry"),
            registryRoot: scene.ca.der,
            resolver: .init(
                address: "127.0.0.1", port: UInt16(scene.zone.dotPort), authenticationName: "ns1.iotregistry.test",
                spkiSHA256: scene.zone.dotPin),
            trustAnchors: DNSTrustAnchor.ianaRoot + [
                DNSTrustAnchor(
                    zone: "iotregistry.test.", keyTag: d.keyTag, algorithm: d.algorithm.rawValue,
                    digestType: d.digestType.rawValue, digest: d.digest)
            ])
        let agent = try DeviceAgent(payload: payload, iotSafe: device.client, connectHost: "127.0.0.1")
        #expect(agent.eid == device.eid)
        let connection = try await agent.connect()
        #expect(connection.welcome == "WELCOME ParkoServ \(device.eid)")
        await connection.close()
    }
}
