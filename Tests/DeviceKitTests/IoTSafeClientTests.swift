import Crypto
import Foundation
import Payload
import PeerTesting
import SwiftASN1
import Testing
import X509

@testable import DeviceKit

@Suite struct IoTSafeClientTests {
    @Test func csrIsSignedInsideTheApplet() throws {
        let device = try TestDevice()
        let csr = try device.client.certificateSigningRequest(
            subject: try DistinguishedName { CommonName(TestRegistry.eid) }
        )
        #expect(csr.publicKey == Certificate.PublicKey(try device.clientKey))
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        // The spare container's key signs its own CSR; it does not pass as the client key's.
        let spare = try device.client.certificateSigningRequest(
            subject: try DistinguishedName { CommonName("spare") },
            keyID: IoTSafePersonalisation.spareKeyID
        )
        #expect(spare.publicKey != csr.publicKey)
        #expect(!csr.publicKey.isValidSignature(spare.signature, for: spare))
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func opensslVerifiesTheCSR() throws {
        let device = try TestDevice()
        let csr = try device.client.certificateSigningRequest(
            subject: try DistinguishedName {
                CommonName("16.\(TestRegistry.eid).iotregistry.test")
            },
            attributes: CertificateSigningRequest.Attributes([
                try CertificateSigningRequest.Attribute(
                    ExtensionRequest(
                        extensions: try Certificate.Extensions {
                            SubjectAlternativeNames([.dnsName("\(TestRegistry.eid)._device.iotregistry.test")])
                        }
                    )
                )
            ])
        )
        let pem = try csr.serializeAsPEM().pemString
        let result = try PeerTool.run("openssl", ["req", "-noout", "-verify", "-text"], stdin: Data(pem.utf8))
        #expect(result.status == 0, Comment(rawValue: result.output))
        #expect(result.output.contains("verify OK"))
        #expect(result.output.contains("\(TestRegistry.eid)._device.iotregistry.test"))
        // A CSR whose signature bytes are flipped fails in openssl too.
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        var derBytes = serializer.serializedBytes
        derBytes[derBytes.count - 3] ^= 0x01
        let bad = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: derBytes).pemString
        let refused = try PeerTool.run("openssl", ["req", "-noout", "-verify"], stdin: Data(bad.utf8))
        #expect(refused.status != 0 || !refused.output.contains("verify OK"))
    }

    @Test func hpkeOpensThroughTheESIM() throws {
        let device = try TestDevice()
        let recipient = IoTSafeKeyAgreement(client: device.client)
        let sealed = try HPKEBaseMode.seal(to: try recipient.publicKey, info: [1], aad: [2], plaintext: [3, 4])
        #expect(try HPKEBaseMode.open(sealed, using: recipient, info: [1], aad: [2]) == [3, 4])
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["pyhpke", "cryptography"])))
    func pyhpkeSealsToTheESIMKey() throws {
        let device = try TestDevice()
        let recipient = IoTSafeKeyAgreement(client: device.client)
        let script = """
            import sys
            from cryptography.hazmat.primitives.asymmetric import ec
            from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey
            suite = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
            pk = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(sys.stdin.read().strip()))
            enc, sender = suite.create_sender_context(KEMKey.from_pyca_cryptography_key(pk), b"iotreg wifi v1")
            print(enc.hex(), sender.seal(b"from pyhpke", b"\(TestRegistry.eid)").hex())
            """
        let publicKey = Array(try recipient.publicKey.x963Representation)
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(publicKey.hex.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        try #require(parts.count == 2)
        let wifi = RegistryPayload.WiFi(
            ssid: "x",
            sealedPassphrase: .init(encapsulatedKey: [UInt8](hex: parts[0]), ciphertext: [UInt8](hex: parts[1]))
        )
        #expect(try wifi.openPassphrase(using: recipient, eid: TestRegistry.eid) == "from pyhpke")
    }
}
