import Crypto
import EPP
import Foundation
import PeerTesting
import RegistryCore
import RegistryTesting
import SwiftASN1
import Testing
import X509

/// `info` gives the sponsoring ASP the device's current certificate, as REST's `GET /v1/devices/{eid}/certificate`
/// does: absent before the MNO's CSR is signed, the issued DER once it is, absent again after deactivation.
@Suite struct CertificateInfoTests {
    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func infoCarriesTheCurrentCertificate() async throws {
        let world = try await EPPWorld.make(pki: try TestCertificates.pki())
        let session = try await world.loggedIn()
        let eid = try await world.registerDevice(7)
        #expect(try await world.send(session, Frames.info(eid)).value("certificate") == nil)

        #expect(try await world.send(session, Frames.update(eid, rem: "inactive")).code == 1000)
        let key = P256.Signing.PrivateKey()
        let record = try await world.registry.submitCSR(eid, csr: try TestCertificates.csr(key), by: .mno(world.mno.id))
        let answer = try await world.send(session, Frames.info(eid))
        let text = try #require(answer.value("certificate"), "\(answer.text)")
        let der = try #require(Data(base64Encoded: text))
        #expect(Array(der) == record.der)
        let certificate = try Certificate(derEncoded: Array(der))
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))

        // Another ASP sees no device at all; after deactivation the revoked certificate is no longer given.
        let other = try await world.loggedIn(world.aspB)
        #expect(try await world.send(other, Frames.info(eid)).code == 2303)
        #expect(try await world.send(session, Frames.update(eid, add: "clientHold")).code == 1000)
        #expect(try await world.send(session, Frames.info(eid)).value("certificate") == nil)
        try world.validateResponses()
    }
}
