import Foundation
import PKI
import PeerTesting
import RegistryCore
import Testing

/// The certificate authority over real HTTP, checked by tools nobody here wrote: `openssl req` makes the device's
/// CSR, `openssl verify`/`x509`/`crl`/`ocsp`/`pkcs7`, curl and Python `cryptography` judge what comes back.
@Suite struct CertificatePeerTests {
    /// A live registry with the city cast and device 1 activated; `dir` holds `root.pem` and `issuing.pem`
    /// fetched from `/.well-known/ca/`.
    struct Setup {
        var live: LiveRegistry
        var cast: LiveRegistry.Cast
        var eid: String
        var dir: URL
        var issuingKeyID: String
        var rootKeyID: String
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    }

    static func withActiveDevice<T>(estTLS: Bool = false, _ body: (Setup) async throws -> T) async throws -> T {
        try await LiveRegistry.run(estTLS: estTLS) { live in
            let cast = try await live.onboardCast()
            let eid = try await live.registerDevice(1, cast: cast)
            let activated = try await live.request("POST", "/v1/devices/\(eid)/activate", token: cast.parkoServ.token)
            try #require(activated.status == 200, "\(activated.text)")
            let pki = try #require(live.registry.pki)
            let dir = try PeerTool.temporaryDirectory("iotreg-ca")
            let issuing = try pki.issuer.keyIdentifier
            let root = pki.hierarchy.root.keyIdentifier
            // Both spellings of the key identifier are served (draft-wilson-dane-pkix-cd uses the dashed one).
            for (name, path) in [
                ("issuing.pem", "/.well-known/ca/\(issuing.hex).pem"), ("root.pem", "/.well-known/ca/\(root.dashedHex).pem"),
            ] {
                let reply = try await live.request("GET", path)
                try #require(reply.status == 200 && reply.contentType == "application/x-pem-file", "\(reply.text)")
                try reply.body.write(to: dir.appendingPathComponent(name))
            }
            return try await body(
                Setup(live: live, cast: cast, eid: eid, dir: dir, issuingKeyID: issuing.hex, rootKeyID: root.hex))
        }
    }

    /// `openssl req` for a P-256 key; returns the CSR path (PEM, or DER with `der`).
    static func opensslCSR(_ setup: Setup, name: String, der: Bool = false, subject: String = "/CN=meter") throws
        -> String
    {
        let result = try PeerTool.run(
            "openssl",
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                setup.path("\(name).key"), "-subj", subject, "-outform", der ? "DER" : "PEM", "-out",
                setup.path("\(name).csr"),
            ])
        try #require(result.status == 0, "\(result.output)")
        return setup.path("\(name).csr")
    }

    static func submit(_ setup: Setup, csrPath: String, token: String? = nil) async throws -> LiveRegistry.Reply {
        try await setup.live.request(
            "POST", "/v1/devices/\(setup.eid)/csr", token: token ?? setup.cast.telco.token,
            raw: try Data(contentsOf: URL(fileURLWithPath: csrPath)), contentType: "application/pkcs10")
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl", pythonModules: ["cryptography"])))
    func anOpenSSLRequestComesBackAsACertificateOpenSSLAndCryptographyAccept() async throws {
        try await Self.withActiveDevice { setup in
            let reply = try await Self.submit(setup, csrPath: try Self.opensslCSR(setup, name: "dev"))
            try #require(reply.status == 201, "\(reply.text)")
            #expect(reply.contentType == "application/pem-certificate-chain")
            try reply.body.write(to: setup.dir.appendingPathComponent("chain.pem"))
            let leaf = try PeerTool.run("openssl", ["x509", "-in", setup.path("chain.pem"), "-out", setup.path("dev.pem")])
            try #require(leaf.status == 0, "\(leaf.output)")

            let verify = try PeerTool.run(
                "openssl",
                [
                    "verify", "-CAfile", setup.path("root.pem"), "-untrusted", setup.path("issuing.pem"), "-purpose",
                    "sslclient", setup.path("dev.pem"),
                ])
            #expect(verify.status == 0 && verify.stdout.contains(": OK"), "\(verify.output)")

            let device = try await setup.live.registry.device(setup.eid, by: .registryOperator)
            let rpid = try #require(device.rpid)
            let text = try PeerTool.run(
                "openssl", ["x509", "-in", setup.path("dev.pem"), "-noout", "-text", "-nameopt", "RFC2253"]
            ).stdout
            for expected in [
                "Subject: CN=\(rpid).\(setup.eid).iotregistry.test", "DNS:\(setup.eid)._device.iotregistry.test",
                "TLS Web Client Authentication", "X509v3 Key Usage: critical", "Digital Signature",
                "X509v3 Basic Constraints: critical", "CA:FALSE", "ASN1 OID: prime256v1",
                "URI:http://127.0.0.1:8080/crl/\(setup.issuingKeyID).crl", "OCSP - URI:http://127.0.0.1:8080/ocsp",
                "CA Issuers - URI:http://127.0.0.1:8080/.well-known/ca/\(setup.issuingKeyID).pem",
                "Signature Algorithm: ecdsa-with-SHA256",
            ] {
                #expect(text.contains(expected), "x509 -text lacks '\(expected)':\n\(text)")
            }
            #expect(!text.contains("CN=meter"), "the requested subject leaked into the certificate")

            let python = try PeerTool.run(
                "python3", ["-c", Self.profileCheck, setup.path("dev.pem"), setup.eid, String(rpid), setup.issuingKeyID])
            #expect(python.status == 0 && python.stdout.contains("profile OK"), "\(python.output)")

            // The stored record and the public status agree with what openssl computes.
            let spki = try PeerTool.run(
                "sh", ["-c", "openssl x509 -in '\(setup.path("dev.pem"))' -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r"])
            let status = try await setup.live.request("GET", "/v1/public/devices/\(setup.eid)")
            #expect(spki.stdout.hasPrefix(status.json["spkiSha256"] as? String ?? "<none>"), "\(status.text)")
            let fingerprint = try PeerTool.run(
                "sh", ["-c", "openssl x509 -in '\(setup.path("dev.pem"))' -outform DER | openssl dgst -sha256 -r"])
            #expect(fingerprint.stdout.hasPrefix(status.json["certificateSha256"] as? String ?? "<none>"))

            // The ASP and the owner read the same certificate back.
            for token in [setup.cast.parkoServ.token, setup.cast.city.token] {
                let read = try await setup.live.request("GET", "/v1/devices/\(setup.eid)/certificate", token: token)
                #expect(read.status == 200 && read.body == reply.body, "\(read.text)")
            }
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl") && PeerTool.isAvailable("curl")))
    func deactivationShowsInTheCRLAndTheLiveOCSPResponder() async throws {
        try await Self.withActiveDevice { setup in
            let reply = try await Self.submit(setup, csrPath: try Self.opensslCSR(setup, name: "dev", der: true))
            try #require(reply.status == 201, "\(reply.text)")
            try reply.body.write(to: setup.dir.appendingPathComponent("dev.pem"))
            let serial = try PeerTool.run("openssl", ["x509", "-in", setup.path("dev.pem"), "-noout", "-serial"])
                .stdout.replacingOccurrences(of: "serial=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
            let chain = try String(contentsOfFile: setup.path("issuing.pem"), encoding: .utf8)
                + String(contentsOfFile: setup.path("root.pem"), encoding: .utf8)
            try chain.write(toFile: setup.path("cas.pem"), atomically: true, encoding: .utf8)

            func ocsp() async throws -> PeerTool.Result {
                try await PeerTool.runDetached(
                    "openssl",
                    [
                        "ocsp", "-issuer", setup.path("issuing.pem"), "-cert", setup.path("dev.pem"), "-url",
                        setup.live.baseURL.absoluteString + "/ocsp", "-CAfile", setup.path("cas.pem"), "-resp_text",
                    ], timeout: 60)
            }
            let good = try await ocsp()
            #expect(good.output.contains("Response verify OK"), "\(good.output)")
            #expect(good.stdout.contains("dev.pem: good"), "\(good.output)")

            let deactivated = try await setup.live.request(
                "POST", "/v1/devices/\(setup.eid)/deactivate", token: setup.cast.parkoServ.token)
            try #require(deactivated.status == 200, "\(deactivated.text)")

            let crlURL = setup.live.baseURL.absoluteString + "/crl/\(setup.issuingKeyID).crl"
            let fetched = try await PeerTool.runDetached(
                "curl", ["-sS", "-f", "-o", setup.path("issuing.crl"), "-w", "%{content_type}", crlURL], timeout: 60)
            #expect(fetched.status == 0 && fetched.stdout == "application/pkix-crl", "\(fetched.output)")
            let crl = try PeerTool.run(
                "openssl",
                ["crl", "-inform", "DER", "-in", setup.path("issuing.crl"), "-CAfile", setup.path("cas.pem"), "-verify",
                 "-noout", "-text"])
            #expect(crl.status == 0 && crl.output.contains("verify OK"), "\(crl.output)")
            #expect(crl.stdout.contains("Serial Number: \(serial)"), "serial \(serial) not in\n\(crl.stdout)")
            #expect(crl.stdout.contains("Cessation Of Operation"), "\(crl.stdout)")
            // The CRL also verifies as the check of the certificate itself.
            let verify = try PeerTool.run(
                "openssl",
                ["verify", "-crl_check", "-CAfile", setup.path("root.pem"), "-untrusted", setup.path("issuing.pem"),
                 "-CRLfile", setup.path("issuing.crl"), setup.path("dev.pem")])
            #expect(verify.status != 0 && verify.output.contains("certificate revoked"), "\(verify.output)")

            let revoked = try await ocsp()
            #expect(revoked.output.contains("Response verify OK"), "\(revoked.output)")
            #expect(revoked.stdout.contains("dev.pem: revoked"), "\(revoked.output)")
            #expect(revoked.stdout.contains("cessationOfOperation"), "\(revoked.output)")
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl") && PeerTool.isAvailable("curl")))
    func estWithCurlAndOpenSSLEnrolsAndRenewsOverMutualTLS() async throws {
        try await Self.withActiveDevice(estTLS: true) { setup in
            let base = setup.live.baseURL.absoluteString + "/.well-known/est"
            let tlsBase = try #require(setup.live.estURL).absoluteString + "/.well-known/est"
            func sh(_ script: String) async throws -> PeerTool.Result {
                try await PeerTool.runDetached("sh", ["-c", script], currentDirectory: setup.dir, timeout: 120)
            }
            // cacerts: base64 certs-only PKCS#7 holding the issuing CA and the root.
            let cacerts = try await sh(
                "curl -sS -f \(base)/cacerts | base64 -d | openssl pkcs7 -inform DER -print_certs -out cacerts.pem && grep -c 'BEGIN CERTIFICATE' cacerts.pem")
            #expect(cacerts.status == 0 && cacerts.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2",
                "\(cacerts.output)")
            // The same over TLS, the server certificate checked against the root.
            let overTLS = try await sh(
                "curl -sS -f --cacert root.pem \(tlsBase)/cacerts | base64 -d | openssl pkcs7 -inform DER -print_certs | grep -c 'BEGIN CERTIFICATE'")
            #expect(overTLS.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(overTLS.output)")

            // simpleenroll, bootstrapped by the MNO's token; the EID is the CSR's CN (peer-tools.md recipe).
            let enrol = try await sh("""
                openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev.key \
                  -subj /CN=\(setup.eid) -outform DER | base64 > csr.b64 && \
                curl -sS -f -H 'Authorization: Bearer \(setup.cast.telco.token)' -H 'Content-Type: application/pkcs10' \
                  -H 'Content-Transfer-Encoding: base64' --data-binary @csr.b64 \(base)/simpleenroll > resp.b64 && \
                base64 -d resp.b64 | openssl pkcs7 -inform DER -print_certs -out dev.pem && \
                openssl verify -CAfile root.pem -untrusted issuing.pem dev.pem && \
                openssl x509 -in dev.pem -noout -serial
                """)
            #expect(enrol.status == 0 && enrol.stdout.contains("dev.pem: OK"), "\(enrol.output)")
            let firstSerial = enrol.stdout.components(separatedBy: "serial=").last?
                .trimmingCharacters(in: .whitespacesAndNewlines).lowercased() ?? ""

            // simplereenroll over mutual TLS with the current certificate and a new key.
            let renew = try await sh("""
                openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev2.key \
                  -subj /CN=renewal -outform DER | base64 > csr2.b64 && \
                curl -sS -f --cacert root.pem --cert dev.pem --key dev.key -H 'Content-Type: application/pkcs10' \
                  --data-binary @csr2.b64 \(tlsBase)/simplereenroll > resp2.b64 && \
                base64 -d resp2.b64 | openssl pkcs7 -inform DER -print_certs -out dev2.pem && \
                openssl verify -CAfile root.pem -untrusted issuing.pem dev2.pem && \
                openssl x509 -in dev2.pem -noout -subject
                """)
            #expect(renew.status == 0 && renew.stdout.contains("dev2.pem: OK"), "\(renew.output)")
            #expect(renew.stdout.contains(".\(setup.eid).iotregistry.test"), "\(renew.output)")
            let old = try await setup.live.registry.store.certificate(serial: firstSerial)
            #expect(old?.status == .revoked && old?.reason == CRLReason.superseded.rawValue, "\(firstSerial)")
            let device = try await setup.live.registry.device(setup.eid, by: .registryOperator)
            #expect(device.state == .active)

            // The superseded certificate no longer renews; no client certificate at all is 401 too.
            let replay = try await sh("""
                curl -sS --cacert root.pem --cert dev.pem --key dev.key -H 'Content-Type: application/pkcs10' \
                  --data-binary @csr2.b64 -w '\\n%{http_code}' \(tlsBase)/simplereenroll
                """)
            #expect(replay.stdout.hasSuffix("401") && replay.stdout.contains("problem"), "\(replay.output)")
            let anonymous = try await sh("""
                curl -sS --cacert root.pem -H 'Content-Type: application/pkcs10' --data-binary @csr2.b64 \
                  -w '\\n%{http_code}' \(tlsBase)/simplereenroll
                """)
            #expect(anonymous.stdout.hasSuffix("401"), "\(anonymous.output)")
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func badRequestsGetAClearProblemAndStoreNothing() async throws {
        try await Self.withActiveDevice { setup in
            let live = setup.live
            let store = live.registry.store
            let good = try Data(contentsOf: URL(fileURLWithPath: try Self.opensslCSR(setup, name: "good")))
            let der = try Data(contentsOf: URL(fileURLWithPath: try Self.opensslCSR(setup, name: "der", der: true)))
            var badSignature = der
            badSignature[badSignature.count - 3] ^= 0x01
            let rsa = try PeerTool.run(
                "openssl",
                ["req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", setup.path("rsa.key"), "-subj", "/CN=weak",
                 "-out", setup.path("rsa.csr")])
            try #require(rsa.status == 0, "\(rsa.output)")
            let weak = try Data(contentsOf: URL(fileURLWithPath: setup.path("rsa.csr")))
            let ed = try PeerTool.run(
                "openssl",
                ["req", "-new", "-newkey", "ed25519", "-nodes", "-keyout", setup.path("ed.key"), "-subj", "/CN=ed",
                 "-out", setup.path("ed.csr")])
            try #require(ed.status == 0, "\(ed.output)")

            // A second device that is deactivated, and one on another MNO's network.
            let deactivated = try await live.registerDevice(2, cast: setup.cast)
            _ = try await live.request("POST", "/v1/devices/\(deactivated)/activate", token: setup.cast.parkoServ.token)
            _ = try await live.request("POST", "/v1/devices/\(deactivated)/deactivate", token: setup.cast.parkoServ.token)
            let registered = try await live.registerDevice(3, cast: setup.cast)

            let headBefore = try await store.auditHead()
            let outboxBefore = try await store.outboxEvents(after: 0, limit: 10_000)
            let cases: [(String, String, Data, String?, Int, String)] = [
                ("garbage PEM", setup.eid, Data("-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n-----END CERTIFICATE REQUEST-----\n".utf8), nil, 422, "CSR"),
                ("garbage DER", setup.eid, Data([0x30, 0x82, 0xff, 0xff, 0x01, 0x02]), nil, 422, "CSR"),
                ("empty body", setup.eid, Data(), nil, 422, "CSR"),
                ("truncated CSR", setup.eid, der.prefix(der.count / 2), nil, 422, "CSR"),
                ("truncated PEM", setup.eid, good.prefix(good.count - 80), nil, 422, "CSR"),
                ("bad signature", setup.eid, badSignature, nil, 422, "signature"),
                ("RSA-1024", setup.eid, weak, nil, 422, "1024"),
                ("Ed25519", setup.eid, try Data(contentsOf: URL(fileURLWithPath: setup.path("ed.csr"))), nil, 422, "key"),
                ("unknown device", LiveRegistry.eid(77), good, nil, 404, "no device"),
                ("malformed EID", "12345", good, nil, 422, "EID"),
                ("deactivated device", deactivated, good, nil, 409, "deactivated"),
                ("registered device", registered, good, nil, 409, "registered"),
                ("another MNO's device", setup.eid, good, setup.cast.otherMNO.token, 404, "no device"),
                ("the ASP", setup.eid, good, setup.cast.parkoServ.token, 403, "MNO"),
            ]
            for (name, eid, body, token, status, hint) in cases {
                let reply = try await live.request(
                    "POST", "/v1/devices/\(eid)/csr", token: token ?? setup.cast.telco.token, raw: body,
                    contentType: "application/pkcs10")
                #expect(reply.status == status, "\(name): \(reply.status) \(reply.text)")
                #expect(reply.contentType == "application/problem+json", "\(name): \(reply.contentType)")
                #expect((reply.json["detail"] as? String ?? "").contains(hint), "\(name): \(reply.text)")
            }
            #expect(try await store.auditHead() == headBefore)
            #expect(try await store.outboxEvents(after: 0, limit: 10_000) == outboxBefore)
            for eid in [setup.eid, deactivated, registered] {
                #expect(try await store.currentCertificate(eid: EID(eid)) == nil, "\(eid) got a certificate")
            }
            // Bad OCSP requests get an OCSP malformedRequest answer, not a crash; unknown CA files are 404.
            let ocsp = try await live.request("POST", "/ocsp", raw: Data("junk".utf8), contentType: "application/ocsp-request")
            #expect(ocsp.status == 200 && ocsp.contentType == "application/ocsp-response" && ocsp.body == Data([0x30, 0x03, 0x0a, 0x01, 0x01]))
            for path in ["/crl/00ff.crl", "/.well-known/ca/zz.pem", "/.well-known/ca/\(setup.issuingKeyID).der"] {
                let missing = try await live.request("GET", path)
                #expect(missing.status == 404 && missing.contentType == "application/problem+json", "\(path): \(missing.text)")
            }
        }
    }

    /// Python `cryptography` reads the device certificate and checks the profile of issue 3, extension by extension.
    static let profileCheck = #"""
        import sys
        from cryptography import x509
        from cryptography.x509.oid import ExtendedKeyUsageOID, AuthorityInformationAccessOID, ExtensionOID
        from cryptography.hazmat.primitives.asymmetric import ec
        cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
        eid, rpid, ski = sys.argv[2], sys.argv[3], sys.argv[4]
        zone = "iotregistry.test"
        assert cert.version == x509.Version.v3
        assert cert.subject.rfc4514_string() == f"CN={rpid}.{eid}.{zone}", cert.subject.rfc4514_string()
        ext = cert.extensions
        assert {e.oid for e in ext} == {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE,
            ExtensionOID.EXTENDED_KEY_USAGE, ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
            ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.CRL_DISTRIBUTION_POINTS,
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS}, [e.oid for e in ext]
        san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
        assert list(san) == [x509.DNSName(f"{eid}._device.{zone}")], list(san)
        assert list(ext.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        ku = ext.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value.digital_signature
        assert not (ku.value.key_cert_sign or ku.value.crl_sign or ku.value.key_encipherment or ku.value.content_commitment)
        bc = ext.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca is False
        assert ext.get_extension_for_class(x509.SubjectKeyIdentifier).value == \
            x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
        assert ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier.hex() == ski
        assert 64 < cert.serial_number.bit_length() <= 128, cert.serial_number.bit_length()
        dp = ext.get_extension_for_class(x509.CRLDistributionPoints).value
        assert [n.value for n in dp[0].full_name] == [f"http://127.0.0.1:8080/crl/{ski}.crl"]
        aia = ext.get_extension_for_class(x509.AuthorityInformationAccess).value
        assert [(d.access_method, d.access_location.value) for d in aia] == [
            (AuthorityInformationAccessOID.OCSP, "http://127.0.0.1:8080/ocsp"),
            (AuthorityInformationAccessOID.CA_ISSUERS, f"http://127.0.0.1:8080/.well-known/ca/{ski}.pem")]
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
        assert cert.signature_hash_algorithm.name == "sha256"
        print("profile OK")
        """#
}
