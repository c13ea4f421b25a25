import Foundation
import PeerTesting
import Testing
import X509

@testable import PKI

@Suite struct OCSPResponderTests {
    static let revokedAt = Date(timeIntervalSince1970: 1_790_000_000)

    struct Setup {
        let h: CAHierarchy
        let ca: CertificateAuthority
        let good: Certificate
        let revoked: Certificate
        let responder: OCSPResponder

        init() throws {
            h = try Fixtures.hierarchy()
            ca = try Fixtures.issuing(h)
            good = try Fixtures.deviceCertificate(ca, rpid: 16)
            revoked = try Fixtures.deviceCertificate(ca, rpid: 11)
            responder = OCSPResponder(authorities: Array(h.issuing.values))
        }

        func lookup(_ aki: KeyIdentifier, _ serial: Certificate.SerialNumber) -> OCSPCertStatus {
            guard aki == ca.keyIdentifier else { return .unknown }
            if serial == good.serialNumber { return .good }
            if serial == revoked.serialNumber {
                return .revoked(time: OCSPResponderTests.revokedAt, reason: .superseded)
            }
            return .unknown
        }
    }

    @Test func goodRevokedUnknownRoundTrip() throws {
        let s = try Setup()
        let otherCA = try Fixtures.issuing(try Fixtures.hierarchy())
        let other = try Fixtures.deviceCertificate(otherCA)
        let unissued = try Fixtures.deviceCertificate(s.ca)
        for (cert, issuer, expected) in [
            (s.good, s.ca.certificate, OCSPCertStatus.good),
            (s.revoked, s.ca.certificate, .revoked(time: Self.revokedAt, reason: .superseded)),
            (other, otherCA.certificate, .unknown),  // same names, another key: not ours
            (unissued, s.ca.certificate, .unknown),  // ours, but the lookup does not know it
        ] {
            let request = try OCSPRequest.derEncoded(for: cert, issuer: issuer, nonce: [1, 2, 3, 4, 5, 6, 7, 8])
            let response = try OCSPResponse(derEncoded: s.responder.respond(to: request, lookup: s.lookup))
            #expect(response.status == .successful)
            #expect(response.responses.count == 1)
            #expect(response.responses.first?.certID.serialNumber == cert.serialNumber)
            #expect(response.responses.first?.status == expected)
            #expect(response.isSigned(by: s.ca.certificate))
            #expect(response.nonceExtensionValue == [0x04, 0x08, 1, 2, 3, 4, 5, 6, 7, 8])
        }
    }

    @Test func malformedRequestsGetMalformedRequestStatus() throws {
        let s = try Setup()
        let request = try OCSPRequest.derEncoded(for: s.good, issuer: s.ca.certificate)
        var count = 0
        for input in Fixtures.mutations(of: request, count: 2_000, seed: 6960) {
            let answer = s.responder.respond(to: input, lookup: s.lookup)
            let response = try OCSPResponse(derEncoded: answer)
            if response.status == .malformedRequest {
                #expect(answer == [0x30, 0x03, 0x0A, 0x01, 0x01])
                count += 1
            }
        }
        #expect(count > 1_000)
        #expect(try OCSPResponse(derEncoded: s.responder.respond(to: [], lookup: s.lookup)).status == .malformedRequest)
    }

    @Test func failingLookupIsInternalError() throws {
        let s = try Setup()
        let request = try OCSPRequest.derEncoded(for: s.good, issuer: s.ca.certificate)
        let answer = s.responder.respond(to: request) { _, _ in throw PKIError(.keyStoreIO, "db down") }
        #expect(try OCSPResponse(derEncoded: answer).status == .internalError)
    }

    @Test func responseParserNeverTraps() throws {
        let s = try Setup()
        let answer = s.responder.respond(
            to: try OCSPRequest.derEncoded(for: s.good, issuer: s.ca.certificate), lookup: s.lookup)
        for input in Fixtures.mutations(of: answer, count: 2_000, seed: 1) { _ = try? OCSPResponse(derEncoded: input) }
    }

    // Peer: `openssl ocsp` makes the request and checks our response (signature, status, nonce).
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslOCSPClient() throws {
        let s = try Setup()
        let dir = try PeerTool.temporaryDirectory("pki-ocsp")
        defer { try? FileManager.default.removeItem(at: dir) }
        let issuing = try Fixtures.write(dir, "issuing.pem", s.ca.certificate.pemString)
        let chain = try Fixtures.write(dir, "chain.pem", [s.ca.certificate, s.h.root.certificate].pemString)
        for (name, cert, word) in [("good", s.good, "good"), ("revoked", s.revoked, "revoked")] {
            let certPath = try Fixtures.write(dir, "\(name).pem", cert.pemString)
            // 1. With a nonce: openssl checks the echoed nonce against its request (-reqin).
            let reqPath = dir.appendingPathComponent("\(name)-req.der").path
            let made = try PeerTool.run("openssl", ["ocsp", "-issuer", issuing, "-cert", certPath, "-reqout", reqPath])
            #expect(made.status == 0, "\(made.output)")
            let request = Array(try Data(contentsOf: URL(fileURLWithPath: reqPath)))
            let respPath = try Fixtures.write(
                dir, "\(name)-resp.der", s.responder.respond(to: request, lookup: s.lookup))
            let withNonce = try PeerTool.run(
                "openssl", ["ocsp", "-reqin", reqPath, "-respin", respPath, "-CAfile", chain, "-resp_text"]
            )
            #expect(withNonce.status == 0, "\(withNonce.output)")
            #expect(withNonce.output.contains("Response verify OK"), "\(withNonce.output)")
            #expect(withNonce.stdout.contains("Cert Status: \(word)"), "\(withNonce.output)")
            #expect(!withNonce.output.contains("WARNING"), "\(withNonce.output)")

            // 2. The brief's invocation: -issuer/-cert name the certificate and openssl prints its status.
            let plainReq = dir.appendingPathComponent("\(name)-plain.der").path
            let plain = try PeerTool.run(
                "openssl", ["ocsp", "-no_nonce", "-issuer", issuing, "-cert", certPath, "-reqout", plainReq]
            )
            #expect(plain.status == 0, "\(plain.output)")
            let plainResp = try Fixtures.write(
                dir, "\(name)-plain-resp.der",
                s.responder.respond(to: Array(try Data(contentsOf: URL(fileURLWithPath: plainReq))), lookup: s.lookup)
            )
            let checked = try PeerTool.run(
                "openssl",
                [
                    "ocsp", "-respin", plainResp, "-issuer", issuing, "-cert", certPath, "-CAfile", chain, "-resp_text",
                    "-no_nonce",
                ]
            )
            #expect(checked.status == 0, "\(checked.output)")
            #expect(checked.output.contains("Response verify OK"), "\(checked.output)")
            #expect(checked.stdout.contains("\(certPath): \(word)"), "\(checked.output)")
            if word == "revoked" {
                #expect(checked.stdout.contains("Reason: superseded"), "\(checked.output)")
                #expect(checked.stdout.contains("Revocation Time: Sep 21 14:13:20 2026 GMT"), "\(checked.output)")
            }
        }
        // A SHA-256 CertID is matched too.
        let certPath = try Fixtures.write(dir, "good.pem", s.good.pemString)
        let reqPath = dir.appendingPathComponent("sha256-req.der").path
        let made = try PeerTool.run(
            "openssl", ["ocsp", "-sha256", "-issuer", issuing, "-cert", certPath, "-reqout", reqPath])
        #expect(made.status == 0, "\(made.output)")
        let response = try OCSPResponse(
            derEncoded: s.responder.respond(
                to: Array(try Data(contentsOf: URL(fileURLWithPath: reqPath))), lookup: s.lookup)
        )
        #expect(response.responses.first?.status == .good)
    }

    // Peer: a delegated responder certificate (id-kp-OCSPSigning) is accepted by `openssl ocsp` too.
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func delegatedResponder() throws {
        let s = try Setup()
        let store = InMemoryKeyStore()
        let key = try store.generateKey(label: "ocsp", algorithm: .ecdsaP256)
        let cert = try OCSPResponderCertificateProfile(publicKey: key.publicKey, commonName: "IoT Registry OCSP")
            .issue(by: s.ca)
        let delegate = try OCSPDelegate(certificate: cert, signer: key)
        #expect(throws: PKIError(.mismatchedKey, "")) { try OCSPDelegate(certificate: s.good, signer: key) }
        let clientCert = try DeviceCertificateProfile(
            publicKey: key.publicKey, rpid: 1, eid: Fixtures.eid, zone: Fixtures.zone, urls: try Fixtures.urls()
        ).issue(by: s.ca)
        #expect(throws: PKIError(.invalidArgument, "")) { try OCSPDelegate(certificate: clientCert, signer: key) }
        let responder = OCSPResponder(authorities: [s.ca], delegates: [delegate])
        let request = try OCSPRequest.derEncoded(for: s.revoked, issuer: s.ca.certificate)
        let answer = responder.respond(to: request, lookup: s.lookup)
        let parsed = try OCSPResponse(derEncoded: answer)
        #expect(parsed.isSigned(by: cert))
        #expect(!parsed.isSigned(by: s.ca.certificate))

        let dir = try PeerTool.temporaryDirectory("pki-ocsp-delegated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let issuing = try Fixtures.write(dir, "issuing.pem", s.ca.certificate.pemString)
        let chain = try Fixtures.write(dir, "chain.pem", [s.ca.certificate, s.h.root.certificate].pemString)
        let certPath = try Fixtures.write(dir, "revoked.pem", s.revoked.pemString)
        let respPath = try Fixtures.write(dir, "resp.der", answer)
        let checked = try PeerTool.run(
            "openssl",
            ["ocsp", "-respin", respPath, "-issuer", issuing, "-cert", certPath, "-CAfile", chain, "-no_nonce"]
        )
        #expect(checked.status == 0 && checked.output.contains("Response verify OK"), "\(checked.output)")
        #expect(checked.stdout.contains("\(certPath): revoked"), "\(checked.output)")
    }
}
