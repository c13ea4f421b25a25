import Crypto
import Foundation
import PeerTesting
import Testing

@testable import Payload

/// Real peers check what we produce: cbor2 (decoding, canonical encoding), pycose (COSE_Sign1), pyhpke (HPKE).
@Suite struct PayloadInteropTests {
    static func python(_ script: String, stdin: String) throws -> String {
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(stdin.utf8))
        #expect(result.status == 0, "python3 failed: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["cbor2"])))
    func cbor2DecodesAndReencodesCanonicallyTheSame() throws {
        let payload = try SamplePayload.make(wifiRecipient: P256.KeyAgreement.PrivateKey().publicKey)
        let ours = payload.encoded()
        let script = """
            import sys, cbor2
            data = bytes.fromhex(sys.stdin.read().strip())
            value = cbor2.loads(data)
            assert value[1] == 1 and value[5][1] == "\(SamplePayload.eid)", value
            print(cbor2.dumps(value, canonical=True).hex())
            """
        #expect(try Self.python(script, stdin: ours.hex) == ours.hex)
        // Mixed-length keys: cbor2 5.6's `canonical=True` is RFC 7049 §3.9 (shorter keys first), not RFC 8949
        // §4.2.1 (bytewise); both agree on the payload's one-byte integer keys. Still, cbor2 reads our order as
        // the same value, and its bytes decode to the value we encoded.
        let mixed: CBOR = [false: 0, [-1]: 0, [100]: 0, "aa": 0, "z": 0, -1: 0, 100: 0, 10: 0]
        let theirs = try Self.python(
            "import sys, cbor2; print(cbor2.dumps(cbor2.loads(bytes.fromhex(sys.stdin.read().strip())), canonical=True).hex())",
            stdin: mixed.encoded().hex
        )
        #expect(theirs == "a80a002000f400186400617a008120006261610081186400")
        #expect(try CBORDecoder().decode([UInt8](hex: theirs)) == mixed)
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["pycose"])))
    func pycoseVerifiesOurSign1() throws {
        let key = P256.Signing.PrivateKey()
        let signed = try SamplePayload.make().signed(
            by: P256COSESigner(privateKey: key),
            keyID: [0xA1, 0xB2],
            certificateChain: [[0x30, 0x00]]
        )
        let raw = Array(key.publicKey.rawRepresentation)
        let script = """
            import sys
            from pycose.messages import Sign1Message
            from pycose.keys import EC2Key
            msg_hex, x, y = sys.stdin.read().split()
            msg = Sign1Message.decode(bytes.fromhex(msg_hex))
            msg.key = EC2Key(crv="P_256", x=bytes.fromhex(x), y=bytes.fromhex(y))
            print("valid" if msg.verify_signature() else "invalid")
            """
        let input = "\(signed.hex) \(Array(raw.prefix(32)).hex) \(Array(raw.suffix(32)).hex)"
        #expect(try Self.python(script, stdin: input) == "valid")
        // A different key must fail in pycose too (the test is not vacuous).
        let other = Array(P256.Signing.PrivateKey().publicKey.rawRepresentation)
        let wrong = "\(signed.hex) \(Array(other.prefix(32)).hex) \(Array(other.suffix(32)).hex)"
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(wrong.utf8))
        #expect(!result.stdout.contains("valid") || result.stdout.contains("invalid") || result.status != 0)
    }

    static let hpkeScript = """
        import sys
        from cryptography.hazmat.primitives.asymmetric import ec
        from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey
        suite = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
        args = sys.stdin.read().split()
        if args[0] == "open":
            _, sk, enc, ct, info, aad = args
            key = KEMKey.from_pyca_cryptography_key(ec.derive_private_key(int(sk, 16), ec.SECP256R1()))
            recipient = suite.create_recipient_context(bytes.fromhex(enc), key, bytes.fromhex(info))
            print(recipient.open(bytes.fromhex(ct), bytes.fromhex(aad)).hex())
        else:
            _, pk, pt, info, aad = args
            pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(pk))
            enc, sender = suite.create_sender_context(KEMKey.from_pyca_cryptography_key(pub), bytes.fromhex(info))
            print(enc.hex(), sender.seal(bytes.fromhex(pt), bytes.fromhex(aad)).hex())
        """

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["pyhpke", "cryptography"])))
    func pyhpkeOpensWhatWeSeal() throws {
        let recipient = P256.KeyAgreement.PrivateKey()
        let plaintext = Array("wifi passphrase".utf8)
        let sealed = try HPKEBaseMode.seal(to: recipient.publicKey, info: [1, 2], aad: [3, 4], plaintext: plaintext)
        let input = [
            "open", Array(recipient.rawRepresentation).hex, sealed.encapsulatedKey.hex, sealed.ciphertext.hex, "0102",
            "0304",
        ].joined(separator: " ")
        #expect(try Self.python(Self.hpkeScript, stdin: input) == plaintext.hex)
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["pyhpke", "cryptography"])))
    func weOpenWhatPyhpkeSeals() throws {
        let recipient = P256.KeyAgreement.PrivateKey()
        let plaintext = Array("sealed by pyhpke".utf8)
        let input = ["seal", Array(recipient.publicKey.x963Representation).hex, plaintext.hex, "aa", "bb"]
            .joined(separator: " ")
        let parts = try Self.python(Self.hpkeScript, stdin: input).split(separator: " ").map(String.init)
        try #require(parts.count == 2)
        let message = HPKEBaseMode.SealedMessage(
            encapsulatedKey: [UInt8](hex: parts[0]), ciphertext: [UInt8](hex: parts[1]))
        let opened = try HPKEBaseMode.open(
            message,
            using: P256HPKEKeyAgreement(privateKey: recipient),
            info: [0xAA],
            aad: [0xBB]
        )
        #expect(opened == plaintext)
    }
}
