import Foundation
import PeerTesting
import Testing
import X509

@testable import PKI

@Suite struct CertificateAuthorityTests {
    @Test func rootAndIssuingProfiles() throws {
        let h = try Fixtures.hierarchy()
        let root = h.root.certificate
        #expect(root.subject == root.issuer)
        #expect(try root.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(try root.extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        #expect(root.extensions.first { $0.oid == .X509ExtensionID.basicConstraints }?.critical == true)
        let years = root.notValidAfter.timeIntervalSince(root.notValidBefore) / (365.25 * 86_400)
        #expect(years > 19.9 && years < 20.1)
        let issuing = try Fixtures.issuing(h)
        #expect(try issuing.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(issuing.certificate.issuer == root.subject)
        #expect(
            try issuing.certificate.extensions.authorityKeyIdentifier?.keyIdentifier.map(Array.init)
                == h.root.keyIdentifier.bytes)
        #expect(issuing.chain.count == 2)
        #expect("\(root.subject)" == "CN=IoT Registry Root CA,O=IoT Registry Test,C=CA")
    }

    @Test func loadChecksKeyPairing() throws {
        let store = InMemoryKeyStore()
        let h = try CAHierarchy.create(
            keyStore: store, rootSubject: try DistinguishedName(parsing: "CN=Root"),
            issuing: ["eu": try DistinguishedName(parsing: "CN=EU"), "na": try DistinguishedName(parsing: "CN=NA")]
        )
        let loaded = try CAHierarchy.load(
            keyStore: store, root: h.root.certificate, issuing: h.issuing.mapValues(\.certificate)
        )
        #expect(loaded.issuing.count == 2)
        #expect(
            loaded.authority(keyIdentifier: try #require(h.issuing["eu"]).keyIdentifier)?.certificate
                == h.issuing["eu"]?.certificate)
        // Swap the keys: loading must refuse.
        #expect(throws: PKIError(.mismatchedKey, "")) {
            try CertificateAuthority(certificate: h.root.certificate, signer: try store.signer(label: "issuing-eu"))
        }
    }

    @Test func keyIdentifierForms() throws {
        let id = KeyIdentifier(bytes: [0x0a, 0xff, 0x10])
        #expect(id.hex == "0aff10")
        #expect(id.dashedHex == "0a-ff-10")
        #expect(KeyIdentifier(text: "0AFF10") == id)
        #expect(KeyIdentifier(text: "0a-ff-10") == id)
        for bad in ["", "0", "zz", "0a-f", "0a--ff", "0aff1", "../x"] { #expect(KeyIdentifier(text: bad) == nil) }
    }

    @Test func subjectParsing() throws {
        let dn = try DistinguishedName(parsing: "CN=Example\\, Inc. CA, OU=Labs, O=Ex, L=Ottawa, ST=ON, C=CA")
        #expect("\(dn)" == "CN=Example\\, Inc. CA,OU=Labs,O=Ex,L=Ottawa,ST=ON,C=CA" || dn.count == 6)
        for bad in ["CN", "XX=1", "C=CAN", "CN="] {
            #expect(throws: PKIError(.invalidArgument, "")) { try DistinguishedName(parsing: bad) }
        }
    }

    @Test func pemAndDERRoundTrip() throws {
        let h = try Fixtures.hierarchy()
        let cert = h.root.certificate
        #expect(try Certificate(pemOrDER: Array(cert.pemString.utf8)) == cert)
        #expect(try Certificate(pemOrDER: cert.derBytes) == cert)
        #expect(throws: PKIError(.malformedInput, "")) { try Certificate(pemOrDER: [0x30, 0x03, 0x02]) }
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslVerifiesTheChain() throws {
        let h = try Fixtures.hierarchy()
        let issuing = try Fixtures.issuing(h)
        let device = try Fixtures.deviceCertificate(issuing)
        let dir = try PeerTool.temporaryDirectory("pki-verify")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Fixtures.write(dir, "root.pem", h.root.certificate.pemString)
        let inter = try Fixtures.write(dir, "issuing.pem", issuing.certificate.pemString)
        let leaf = try Fixtures.write(dir, "device.pem", device.pemString)
        let result = try PeerTool.run(
            "openssl", ["verify", "-purpose", "sslclient", "-CAfile", root, "-untrusted", inter, leaf]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("device.pem: OK"))
        let ca = try PeerTool.run("openssl", ["verify", "-CAfile", root, inter])
        #expect(ca.status == 0, "\(ca.output)")
    }
}
