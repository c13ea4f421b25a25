import Crypto
import Foundation
import PeerTesting
import SwiftASN1
import Testing
import X509

@testable import PKI

@Suite struct DeviceCertificateProfileTests {
    @Test func profileFields() throws {
        let h = try Fixtures.hierarchy()
        let ca = try Fixtures.issuing(h)
        let cert = try Fixtures.deviceCertificate(ca, rpid: 16)
        let aki = ca.keyIdentifier.hex
        #expect("\(cert.subject)" == "CN=16.\(Fixtures.eid).iotregistry.test")
        #expect(
            try cert.extensions.subjectAlternativeNames
                == SubjectAlternativeNames([.dnsName("\(Fixtures.eid)._device.iotregistry.test")]))
        #expect(try cert.extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
        #expect(try cert.extensions.keyUsage == KeyUsage(digitalSignature: true))
        #expect(try cert.extensions.basicConstraints == .notCertificateAuthority)
        #expect(cert.extensions.first { $0.oid == .X509ExtensionID.keyUsage }?.critical == true)
        #expect(cert.extensions.first { $0.oid == .X509ExtensionID.basicConstraints }?.critical == true)
        let dp = try CRLDistributionPoints(try #require(cert.extensions.first { $0.oid == CRLDistributionPoints.oid }))
        #expect(dp.uris == ["http://127.0.0.1:8080/crl/\(aki).crl"])
        let aia = try #require(try cert.extensions.authorityInformationAccess)
        #expect(
            aia.map(\.location) == [
                .uniformResourceIdentifier("http://127.0.0.1:8080/ocsp"),
                .uniformResourceIdentifier("http://127.0.0.1:8080/.well-known/ca/\(aki).pem"),
            ])
        // 128 random bits: 16 significant octets (the DER INTEGER adds a 0x00 when the top bit is set).
        #expect(cert.serialNumber.bytes.drop(while: { $0 == 0 }).count == 16)
        let days = cert.notValidAfter.timeIntervalSince(cert.notValidBefore) / 86_400
        #expect(days > 365 && days < 365.01)
        #expect(ca.certificate.publicKey.isValidSignature(cert.signature, for: cert))
    }

    @Test func refusesBadNames() throws {
        let ca = try Fixtures.issuing(try Fixtures.hierarchy())
        let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
        for (eid, zone) in [
            ("a.b", "z.test"), ("", "z.test"), ("ok", "bad_zone.test"), ("ok", "a..b"), ("-x", "z.test"),
        ] {
            let profile = DeviceCertificateProfile(
                publicKey: key, rpid: 1, eid: eid, zone: zone, urls: try Fixtures.urls())
            #expect(throws: PKIError(.invalidArgument, "")) { try profile.issue(by: ca) }
        }
        #expect(throws: PKIError(.invalidArgument, "")) { try PublicationURLs(base: "ftp://x") }
    }

    @Test func serverProfile() throws {
        let ca = try Fixtures.issuing(try Fixtures.hierarchy())
        let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
        let cert = try ServerCertificateProfile(
            publicKey: key, dnsNames: ["Registry.IoTRegistry.test."], ipAddresses: ["127.0.0.1", "::1"]
        ).issue(by: ca)
        #expect(try cert.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
        let san = try #require(try cert.extensions.subjectAlternativeNames)
        #expect(
            Array(san) == [
                .dnsName("registry.iotregistry.test"), .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
                .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ])
        #expect(throws: PKIError(.invalidArgument, "")) {
            try ServerCertificateProfile(publicKey: key, dnsNames: [], ipAddresses: ["300.1.1.1"]).issue(by: ca)
        }
    }

    // Peer: `openssl x509 -text` shows exactly the profile.
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslShowsTheProfile() throws {
        let ca = try Fixtures.issuing(try Fixtures.hierarchy())
        let cert = try Fixtures.deviceCertificate(ca, rpid: 11)
        let result = try PeerTool.run("openssl", ["x509", "-noout", "-text"], stdin: Data(cert.pemString.utf8))
        #expect(result.status == 0, "\(result.output)")
        let text = result.stdout
        let aki = ca.keyIdentifier.hex
        for expected in [
            "Subject: CN = 11.\(Fixtures.eid).iotregistry.test",
            "Issuer: C = CA, O = IoT Registry Test, CN = IoT Registry Issuing CA 1",
            "DNS:\(Fixtures.eid)._device.iotregistry.test",
            "X509v3 Extended Key Usage: \n                TLS Web Client Authentication",
            "X509v3 Key Usage: critical\n                Digital Signature\n",
            "X509v3 Basic Constraints: critical\n                CA:FALSE",
            "URI:http://127.0.0.1:8080/crl/\(aki).crl",
            "OCSP - URI:http://127.0.0.1:8080/ocsp",
            "CA Issuers - URI:http://127.0.0.1:8080/.well-known/ca/\(aki).pem",
            "X509v3 Subject Key Identifier",
            "X509v3 Authority Key Identifier",
            "ecdsa-with-SHA256",
        ] {
            #expect(text.contains(expected), "missing \(expected) in\n\(text)")
        }
        #expect(!text.contains("Server Authentication"))
    }

    // Peer: Python `cryptography` loads the certificate and reads the extensions.
    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["cryptography"])))
    func pythonCryptographyReadsTheProfile() throws {
        let ca = try Fixtures.issuing(try Fixtures.hierarchy())
        let cert = try Fixtures.deviceCertificate(ca, rpid: 12)
        let script = """
            import sys
            from cryptography import x509
            from cryptography.x509.oid import ExtendedKeyUsageOID, AuthorityInformationAccessOID
            c = x509.load_pem_x509_certificate(sys.stdin.buffer.read())
            e = c.extensions
            assert c.subject.rfc4514_string() == "CN=12.\(Fixtures.eid).iotregistry.test", c.subject
            assert e.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == ["\(Fixtures.eid)._device.iotregistry.test"]
            assert list(e.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
            ku = e.get_extension_for_class(x509.KeyUsage)
            assert ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
            bc = e.get_extension_for_class(x509.BasicConstraints)
            assert bc.critical and not bc.value.ca
            dp = e.get_extension_for_class(x509.CRLDistributionPoints).value
            assert dp[0].full_name[0].value == "http://127.0.0.1:8080/crl/\(ca.keyIdentifier.hex).crl"
            aia = {d.access_method: d.access_location.value for d in e.get_extension_for_class(x509.AuthorityInformationAccess).value}
            assert aia[AuthorityInformationAccessOID.OCSP] == "http://127.0.0.1:8080/ocsp"
            assert aia[AuthorityInformationAccessOID.CA_ISSUERS].endswith("/.well-known/ca/\(ca.keyIdentifier.hex).pem")
            aki = e.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier.hex()
            assert aki == "\(ca.keyIdentifier.hex)", aki
            assert c.serial_number > 0 and c.serial_number.bit_length() > 120
            print("ok")
            """
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(cert.pemString.utf8))
        #expect(result.status == 0 && result.stdout.contains("ok"), "\(result.output)")
    }

    // Peer: `openssl verify -purpose sslserver -verify_hostname/-verify_ip` accepts the server profile.
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslAcceptsServerCertificate() throws {
        let h = try Fixtures.hierarchy()
        let ca = try Fixtures.issuing(h)
        let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
        let cert = try ServerCertificateProfile(
            publicKey: key, dnsNames: ["dot.iotregistry.test"], ipAddresses: ["127.0.0.1"], urls: try Fixtures.urls()
        ).issue(by: ca)
        let dir = try PeerTool.temporaryDirectory("pki-server")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Fixtures.write(dir, "root.pem", h.root.certificate.pemString)
        let issuing = try Fixtures.write(dir, "issuing.pem", ca.certificate.pemString)
        let leaf = try Fixtures.write(dir, "server.pem", cert.pemString)
        for check in [["-verify_hostname", "dot.iotregistry.test"], ["-verify_ip", "127.0.0.1"]] {
            let result = try PeerTool.run(
                "openssl", ["verify", "-purpose", "sslserver"] + check + ["-CAfile", root, "-untrusted", issuing, leaf]
            )
            #expect(result.status == 0, "\(result.output)")
        }
        let wrong = try PeerTool.run(
            "openssl",
            ["verify", "-purpose", "sslserver", "-verify_hostname", "other.test", "-CAfile", root, "-untrusted", issuing, leaf]
        )
        #expect(wrong.status != 0)
    }
}
