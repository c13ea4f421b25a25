import Foundation
import PeerTesting
import Testing
import X509

@testable import PKI

/// A P-384 CA tree signs with ecdsa-with-SHA384 everywhere (certificates, CRL, OCSP).
@Suite struct P384AuthorityTests {
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func p384HierarchyInterop() throws {
        let h = try CAHierarchy.create(
            keyStore: InMemoryKeyStore(), rootSubject: try DistinguishedName(parsing: "CN=P384 Root"),
            issuing: ["big": try DistinguishedName(parsing: "CN=P384 Issuing")], algorithm: .ecdsaP384
        )
        let ca = try #require(h.issuing["big"])
        let device = try Fixtures.deviceCertificate(ca)
        let crl = try CertificateRevocationList(
            issuer: ca,
            revoked: [.init(serialNumber: device.serialNumber, revocationDate: Date(), reason: .keyCompromise)],
            crlNumber: 1
        )
        let ocsp = try OCSPResponse(
            derEncoded: OCSPResponder(authorities: [ca]).respond(
                to: try OCSPRequest.derEncoded(for: device, issuer: ca.certificate)
            ) { _, _ in .good }
        )
        #expect(ocsp.isSigned(by: ca.certificate))
        #expect(ocsp.responses.first?.status == .good)

        let dir = try PeerTool.temporaryDirectory("pki-p384")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Fixtures.write(dir, "root.pem", h.root.certificate.pemString)
        let issuing = try Fixtures.write(dir, "issuing.pem", ca.certificate.pemString)
        let leaf = try Fixtures.write(dir, "device.pem", device.pemString)
        let crlPath = try Fixtures.write(dir, "crl.pem", crl.pemString)
        let verify = try PeerTool.run("openssl", ["verify", "-CAfile", root, "-untrusted", issuing, leaf])
        #expect(verify.status == 0, "\(verify.output)")
        let text = try PeerTool.run("openssl", ["x509", "-in", leaf, "-noout", "-text"])
        #expect(text.stdout.contains("ecdsa-with-SHA384"))
        let crlVerify = try PeerTool.run("openssl", ["crl", "-in", crlPath, "-CAfile", issuing, "-verify", "-noout"])
        #expect(crlVerify.output.contains("verify OK"), "\(crlVerify.output)")
    }
}
