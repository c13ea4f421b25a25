import Foundation
import RegistryCore
import Testing

@Suite("Onboarding tenants")
struct OnboardingTests {
    /// Not a real certificate: enough for the PEM framing check the core does (X.509 checks live in PKI).
    static let fakeCertificatePEM = """
        -----BEGIN CERTIFICATE-----
        \(Data([0x30, 0x82, 0x01, 0x0A] + Array(repeating: 0x42, count: 40)).base64EncodedString())
        -----END CERTIFICATE-----
        """

    @Test func aspOnboardingRecordsItsEndpoint() async throws {
        let world = try await World.make()
        let result = try await world.registry.createASP(
            NewASP(
                name: "  Fleet Co  ", fqdn: "IoT.Fleet.Example.", port: 8883, url: "https://iot.fleet.example/x",
                transportProtocol: "https"),
            by: .registryOperator)
        let asp = try await world.registry.asp(id: result.id, by: .registryOperator)
        #expect(asp.name == "Fleet Co")
        #expect(asp.fqdn == "iot.fleet.example")
        #expect(asp.port == 8883)
        #expect(asp.transportProtocol == "https")
        #expect(try await world.registry.authenticate(token: result.token.secret) == .asp(result.id))
        #expect(try await world.audit().last?.action == "asp.create")
    }

    @Test(arguments: [
        NewASP(name: "", fqdn: "iot.x.example", port: 1),
        NewASP(name: "X", fqdn: "not a host", port: 1),
        NewASP(name: "X", fqdn: "localhost", port: 1),
        NewASP(name: "X", fqdn: "-bad.example", port: 1),
        NewASP(name: "X", fqdn: "iot.x.example", port: 0),
        NewASP(name: "X", fqdn: "iot.x.example", port: 65536),
        NewASP(name: "X", fqdn: "iot.x.example", port: 443, url: "ftp://x.example"),
        NewASP(name: "X", fqdn: "iot.x.example", port: 443, transportProtocol: "telnet"),
        NewASP(name: "X", fqdn: "iot.x.example", port: 443, serverCertificatePEM: "not pem"),
        NewASP(name: "X\u{7}", fqdn: "iot.x.example", port: 443),
    ])
    func invalidASPsAreRefusedAndNothingIsWritten(_ request: NewASP) async throws {
        let world = try await World.make()
        let head = try await world.store.auditHead().sequence
        await expectRefusal(.invalidInput) { try await world.registry.createASP(request, by: .registryOperator) }
        #expect(try await world.store.auditHead().sequence == head)
        #expect(try await world.registry.listASPs(after: nil, limit: 10, by: .registryOperator).count == 2)
    }

    @Test func clientCertificatesByTheOperatorOrThatASP() async throws {
        let world = try await World.make()
        let byOperator = try await world.registry.addClientCertificate(
            aspID: world.aspA.id, pem: Self.fakeCertificatePEM, by: .registryOperator)
        #expect(byOperator.sha256.utf8.count == 64)
        let bySelf = try await world.registry.addClientCertificate(
            aspID: world.aspA.id, pem: Self.fakeCertificatePEM, by: world.asp)
        #expect(bySelf.sha256 == byOperator.sha256)
        #expect(try await world.store.clientCertificates(aspID: world.aspA.id).count == 1)
        for principal in [world.otherASP, world.owner, world.mno, Principal.anonymous] {
            let head = try await world.store.auditHead().sequence
            await expectRefusal(.notFound) {
                try await world.registry.addClientCertificate(
                    aspID: world.aspA.id, pem: Self.fakeCertificatePEM, by: principal)
            }
            #expect(try await world.store.auditHead().sequence == head)
        }
        await expectRefusal(.invalidInput) {
            try await world.registry.addClientCertificate(aspID: world.aspA.id, pem: "garbage", by: world.asp)
        }
    }
}
