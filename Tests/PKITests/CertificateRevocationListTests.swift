import Foundation
import PeerTesting
import Testing
import X509

@testable import PKI

@Suite struct CertificateRevocationListTests {
    static let when = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func roundTrip() throws {
        let ca = try Fixtures.issuing(try Fixtures.hierarchy())
        let entries = [
            CertificateRevocationList.Entry(serialNumber: .random128(), revocationDate: Self.when, reason: .superseded),
            CertificateRevocationList.Entry(
                serialNumber: Certificate.SerialNumber(bytes: [0x80, 1]), revocationDate: Self.when),
        ]
        let crl = try CertificateRevocationList(issuer: ca, revoked: entries, crlNumber: 42, thisUpdate: Self.when)
        let parsed = try CertificateRevocationList(derEncoded: crl.derBytes)
        #expect(parsed.entries == entries)
        #expect(parsed.crlNumber == 42)
        #expect(parsed.issuer == ca.certificate.subject)
        #expect(parsed.authorityKeyIdentifier == ca.keyIdentifier)
        #expect(parsed.thisUpdate == Self.when)
        #expect(parsed.nextUpdate == Self.when + 7 * 86_400)
        #expect(parsed.isSigned(by: ca.certificate))
        #expect(!parsed.isSigned(by: ca.root))
        // An empty CRL leaves revokedCertificates out entirely (RFC 5280 §5.1.2.6).
        let empty = try CertificateRevocationList(issuer: ca, revoked: [], crlNumber: 1)
        #expect(try CertificateRevocationList(derEncoded: empty.derBytes).entries.isEmpty)
    }

    @Test func mutatedInputsThrowNeverTrap() throws {
        let ca = try Fixtures.issuing(try Fixtures.hierarchy())
        let crl = try CertificateRevocationList(
            issuer: ca, revoked: [.init(serialNumber: .random128(), revocationDate: Self.when, reason: .keyCompromise)],
            crlNumber: 3
        )
        for input in Fixtures.mutations(of: crl.derBytes, count: 2_000, seed: 5280) {
            if let parsed = try? CertificateRevocationList(derEncoded: input), input != crl.derBytes {
                #expect(!parsed.isSigned(by: ca.certificate) || parsed.tbsBytes == crl.tbsBytes)
            }
        }
    }

    // Peer: `openssl crl -verify` and `openssl crl -text`.
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslVerifiesAndListsTheCRL() throws {
        let h = try Fixtures.hierarchy()
        let ca = try Fixtures.issuing(h)
        let device = try Fixtures.deviceCertificate(ca)
        let crl = try CertificateRevocationList(
            issuer: ca,
            revoked: [.init(serialNumber: device.serialNumber, revocationDate: Date(), reason: .superseded)],
            crlNumber: 7
        )
        let dir = try PeerTool.temporaryDirectory("pki-crl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let crlPath = try Fixtures.write(dir, "crl.pem", crl.pemString)
        let der = try Fixtures.write(dir, "crl.der", crl.derBytes)
        let issuingPath = try Fixtures.write(dir, "issuing.pem", ca.certificate.pemString)
        let verify = try PeerTool.run("openssl", ["crl", "-in", crlPath, "-CAfile", issuingPath, "-verify", "-noout"])
        #expect(verify.status == 0 && verify.output.contains("verify OK"), "\(verify.output)")
        let text = try PeerTool.run("openssl", ["crl", "-inform", "DER", "-in", der, "-noout", "-text"])
        #expect(text.status == 0, "\(text.output)")
        let serialHex = device.serialNumber.bytes.drop(while: { $0 == 0 }).map { Hex.byte($0).uppercased() }.joined()
        #expect(text.stdout.contains("Serial Number: \(serialHex)"), "\(text.stdout)")
        #expect(text.stdout.contains("Superseded"))
        #expect(text.stdout.contains("X509v3 CRL Number: \n                7"))
        #expect(text.stdout.contains("Version 2"))

        // And the full check: a revoked device fails `openssl verify -crl_check`.
        let root = try Fixtures.write(dir, "root.pem", h.root.certificate.pemString)
        let leaf = try Fixtures.write(dir, "device.pem", device.pemString)
        let revoked = try PeerTool.run(
            "openssl", ["verify", "-crl_check", "-CAfile", root, "-untrusted", issuingPath, "-CRLfile", crlPath, leaf]
        )
        #expect(revoked.status != 0 && revoked.output.contains("certificate revoked"), "\(revoked.output)")
        let other = try Fixtures.write(dir, "other.pem", try Fixtures.deviceCertificate(ca, rpid: 99).pemString)
        let good = try PeerTool.run(
            "openssl", ["verify", "-crl_check", "-CAfile", root, "-untrusted", issuingPath, "-CRLfile", crlPath, other]
        )
        #expect(good.status == 0, "\(good.output)")
    }
}
