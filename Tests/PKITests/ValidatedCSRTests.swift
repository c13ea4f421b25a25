import Crypto
import Foundation
import PeerTesting
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import PKI

@Suite struct ValidatedCSRTests {
    static func csr(_ key: Certificate.PrivateKey) throws -> [UInt8] {
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("ignored") }, privateKey: key,
            attributes: CertificateSigningRequest.Attributes()
        )
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }

    @Test func acceptsP256AndP384AndRSA2048() throws {
        let p256 = P256.Signing.PrivateKey()
        let validated = try ValidatedCSR(der: try Self.csr(Certificate.PrivateKey(p256)))
        #expect(validated.keyDescription == "ECDSA P-256")
        #expect(validated.subjectPublicKeyInfoDER == Array(p256.publicKey.derRepresentation))
        #expect(validated.subjectPublicKeyInfoSHA256 == Array(SHA256.hash(data: p256.publicKey.derRepresentation)))
        #expect(
            try ValidatedCSR(der: try Self.csr(Certificate.PrivateKey(P384.Signing.PrivateKey()))).keyDescription
                == "ECDSA P-384")
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(try ValidatedCSR(der: try Self.csr(Certificate.PrivateKey(rsa))).keyDescription == "RSA 2048")
    }

    @Test func pemAndESTBase64Forms() throws {
        let der = try Self.csr(Certificate.PrivateKey(P256.Signing.PrivateKey()))
        let pem = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        #expect(try ValidatedCSR(pemOrDER: Array(pem.utf8)).subjectPublicKeyInfoDER.count == 91)
        let base64 = Data(der).base64EncodedString(options: .lineLength64Characters)
        #expect(try ValidatedCSR(estBase64: Array(base64.utf8)).keyDescription == "ECDSA P-256")
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(estBase64: Array("not base64!".utf8)) }
    }

    @Test func refusesTrailingBytesTruncationAndGarbage() throws {
        let der = try Self.csr(Certificate.PrivateKey(P256.Signing.PrivateKey()))
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(der: der + [0]) }
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(der: Array(der.dropLast())) }
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(der: Array("hello world".utf8)) }
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(der: []) }
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(der: der, maxBytes: 10) }
        let wrongPEM = PEMDocument(type: "CERTIFICATE", derBytes: der).pemString
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(pemOrDER: Array(wrongPEM.utf8)) }
    }

    @Test func refusesFlippedSignatureByte() throws {
        var der = try Self.csr(Certificate.PrivateKey(P256.Signing.PrivateKey()))
        // The last bytes are the ECDSA s value inside the BIT STRING: flipping one keeps the DER valid.
        der[der.count - 2] ^= 0x01
        #expect(throws: PKIError(.badSignature, "")) { try ValidatedCSR(der: der) }
    }

    @Test func refusesEd25519WithItsName() throws {
        let der = try Self.csr(Certificate.PrivateKey(Curve25519.Signing.PrivateKey()))
        let error = try #require(throws: PKIError.self) { try ValidatedCSR(der: der) }
        #expect(error.code == .unsupportedKey)
        #expect(error.reason.contains("Ed25519"))
    }

    @Test func mutatedInputsThrowNeverTrap() throws {
        let der = try Self.csr(Certificate.PrivateKey(P256.Signing.PrivateKey()))
        for input in Fixtures.mutations(of: der, count: 2_000, seed: 2986) {
            // A mutation may leave the request intact (e.g. inside ignored attributes); it must never trap.
            _ = try? ValidatedCSR(der: input)
        }
        for input in Fixtures.mutations(of: der, count: 400, seed: 7) where input.count < der.count {
            #expect(throws: PKIError.self) { try ValidatedCSR(der: input) }
        }
    }

    // Peer: CSRs made by `openssl req` (OpenSSL 3.0).
    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslRequests() throws {
        let dir = try PeerTool.temporaryDirectory("pki-csr")
        defer { try? FileManager.default.removeItem(at: dir) }
        func req(_ name: String, _ keyArgs: [String]) throws -> [UInt8] {
            let out = dir.appendingPathComponent("\(name).csr").path
            let result = try PeerTool.run(
                "openssl",
                [
                    "req", "-new", "-nodes", "-keyout", dir.appendingPathComponent("\(name).key").path, "-subj",
                    "/CN=\(Fixtures.eid)", "-out", out,
                ]
                    + keyArgs
            )
            #expect(result.status == 0, "\(result.output)")
            return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        let ec = try req("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        let validated = try ValidatedCSR(pemOrDER: ec)
        #expect(validated.keyDescription == "ECDSA P-256")
        // Our SPKI hash is openssl's: `openssl req -pubkey | openssl pkey -pubin -outform DER | sha256`.
        let pub = try PeerTool.run(
            "openssl", ["req", "-in", dir.appendingPathComponent("ec.csr").path, "-noout", "-pubkey"])
        let spki = try PEMDocument(pemString: pub.stdout).derBytes
        #expect(validated.subjectPublicKeyInfoDER == spki)

        let rsa1024 = try req("rsa1024", ["-newkey", "rsa:1024"])
        let weak = try #require(throws: PKIError.self) { try ValidatedCSR(pemOrDER: rsa1024) }
        #expect(weak.code == .weakKey)
        #expect(weak.reason.contains("1024"))

        let rsa2048 = try req("rsa2048", ["-newkey", "rsa:2048"])
        #expect(try ValidatedCSR(pemOrDER: rsa2048).keyDescription == "RSA 2048")

        var tampered = try PEMDocument(pemString: String(decoding: ec, as: UTF8.self)).derBytes
        tampered[tampered.count - 2] ^= 0x01
        #expect(throws: PKIError(.badSignature, "")) { try ValidatedCSR(der: tampered) }

        let garbage = Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/sh")).prefix(4096))
        #expect(throws: PKIError(.malformedInput, "")) { try ValidatedCSR(pemOrDER: garbage) }
    }
}
