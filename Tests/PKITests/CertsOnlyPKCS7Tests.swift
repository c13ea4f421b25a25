import Crypto
import Foundation
import PeerTesting
import Testing
import X509

@testable import PKI

@Suite struct CertsOnlyPKCS7Tests {
    @Test func roundTripDERAndBase64() throws {
        let h = try Fixtures.hierarchy()
        let ca = try Fixtures.issuing(h)
        let certs = [try Fixtures.deviceCertificate(ca), ca.certificate, h.root.certificate]
        #expect(try CertsOnlyPKCS7.certificates(from: try CertsOnlyPKCS7.derEncoded(certs)) == certs)
        let body = try CertsOnlyPKCS7.estBase64(certs)
        #expect(body.contains("\r\n"))
        #expect(try CertsOnlyPKCS7.certificates(from: Array(body.utf8)) == certs)
        #expect(throws: PKIError(.malformedInput, "")) { try CertsOnlyPKCS7.certificates(from: [0x30, 0x00]) }
    }

    @Test func parserNeverTraps() throws {
        let h = try Fixtures.hierarchy()
        let der = try CertsOnlyPKCS7.derEncoded([h.root.certificate])
        for input in Fixtures.mutations(of: der, count: 1_000, seed: 7030) {
            _ = try? CertsOnlyPKCS7.certificates(from: input)
        }
    }

    // Peer: `openssl pkcs7 -print_certs` reads our certs-only SignedData; the EST flow of peer-tools.md end to end.
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslReadsIt() throws {
        let h = try Fixtures.hierarchy()
        let ca = try Fixtures.issuing(h)
        let dir = try PeerTool.temporaryDirectory("pki-est")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The device side: `openssl req ... -outform DER | base64` as the EST body.
        let key = try PeerTool.run(
            "openssl",
            [
                "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                dir.appendingPathComponent("dev.key").path,
            ]
        )
        #expect(key.status == 0, "\(key.output)")
        let derCSRPath = dir.appendingPathComponent("csr.der").path
        let made = try PeerTool.run(
            "openssl",
            [
                "req", "-new", "-key", dir.appendingPathComponent("dev.key").path, "-subj", "/CN=\(Fixtures.eid)",
                "-outform", "DER", "-out", derCSRPath,
            ]
        )
        #expect(made.status == 0, "\(made.output)")
        let base64 = try PeerTool.run("openssl", ["base64", "-in", derCSRPath])
        let validated = try ValidatedCSR(estBase64: Array(base64.stdout.utf8))
        let issued = try DeviceCertificateProfile(
            publicKey: validated.publicKey, rpid: 1, eid: Fixtures.eid, zone: Fixtures.zone, urls: try Fixtures.urls()
        ).issue(by: ca)
        let response = try Fixtures.write(dir, "resp.b64", try CertsOnlyPKCS7.estBase64([issued]))
        let p7 = dir.appendingPathComponent("resp.p7").path
        #expect(try PeerTool.run("openssl", ["base64", "-d", "-in", response, "-out", p7]).status == 0)
        let printed = try PeerTool.run("openssl", ["pkcs7", "-inform", "DER", "-in", p7, "-print_certs"])
        #expect(printed.status == 0, "\(printed.output)")
        #expect(printed.stdout.contains("subject=CN = 1.\(Fixtures.eid).iotregistry.test"), "\(printed.stdout)")
        // The TLSA 3 1 1 input openssl extracts (peer-tools.md) equals ours.
        let issuedPath = try Fixtures.write(dir, "dev.pem", printed.stdout)
        let pub = try PeerTool.run("openssl", ["x509", "-in", issuedPath, "-noout", "-pubkey"])
        let pubPath = try Fixtures.write(dir, "pub.pem", pub.stdout)
        let spkiPath = dir.appendingPathComponent("spki.der").path
        #expect(
            try PeerTool.run("openssl", ["pkey", "-pubin", "-in", pubPath, "-outform", "DER", "-out", spkiPath]).status
                == 0)
        let spki = Array(try Data(contentsOf: URL(fileURLWithPath: spkiPath)))
        #expect(spki == validated.subjectPublicKeyInfoDER)
        #expect(Array(SHA256.hash(data: spki)) == validated.subjectPublicKeyInfoSHA256)

        let chain = try Fixtures.write(
            dir, "cacerts.p7", try CertsOnlyPKCS7.derEncoded([ca.certificate, h.root.certificate]))
        let cacerts = try PeerTool.run("openssl", ["pkcs7", "-inform", "DER", "-in", chain, "-print_certs", "-noout"])
        #expect(cacerts.status == 0, "\(cacerts.output)")
        #expect(cacerts.stdout.contains("subject=C = CA, O = IoT Registry Test, CN = IoT Registry Issuing CA 1"))
        #expect(cacerts.stdout.contains("subject=C = CA, O = IoT Registry Test, CN = IoT Registry Root CA"))
    }
}
