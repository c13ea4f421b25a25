import Crypto
import Testing

@testable import Payload

/// RFC 9180 Appendix A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode (the same vectors
/// swift-crypto checks in `Tests/CryptoTests/HPKE/hpke-test-vectors.json`, mode 0, kem 16, kdf 1, aead 1).
@Suite struct HPKEBaseModeTests {
    static let info = [UInt8](hex: "4f6465206f6e2061204772656369616e2055726e")
    static let skEm = [UInt8](hex: "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb")
    static let pkEm = [UInt8](
        hex:
            "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4"
    )
    static let skRm = [UInt8](hex: "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2")
    static let pkRm = [UInt8](
        hex:
            "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0"
    )
    static let sharedSecret = [UInt8](hex: "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8")
    static let key = [UInt8](hex: "868c066ef58aae6dc589b6cfdd18f97e")
    static let baseNonce = [UInt8](hex: "4e0bc5018beba4bf004cca59")
    static let pt = [UInt8](hex: "4265617574792069732074727574682c20747275746820626561757479")
    static let aad0 = [UInt8](hex: "436f756e742d30")
    static let ct0 = [UInt8](
        hex: "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434"
    )

    @Test func keyScheduleMatchesRFC9180() throws {
        let recipient = try P256.KeyAgreement.PrivateKey(rawRepresentation: Self.skRm)
        #expect(Array(recipient.publicKey.x963Representation) == Self.pkRm)
        let dh = try P256HPKEKeyAgreement(privateKey: recipient)
            .sharedSecret(with: try P256.KeyAgreement.PublicKey(x963Representation: Self.pkEm))
        let shared = HPKEBaseMode.extractAndExpand(dh: dh, kemContext: Self.pkEm + Self.pkRm)
        #expect(shared == Self.sharedSecret)
        let (key, nonce) = HPKEBaseMode.keySchedule(sharedSecret: shared, info: Self.info)
        #expect(key == Self.key)
        #expect(nonce == Self.baseNonce)
    }

    @Test func sealMatchesRFC9180() throws {
        let recipient = try P256.KeyAgreement.PrivateKey(rawRepresentation: Self.skRm)
        let sealed = try HPKEBaseMode.seal(
            to: recipient.publicKey,
            info: Self.info,
            aad: Self.aad0,
            plaintext: Self.pt,
            ephemeralKey: try P256.KeyAgreement.PrivateKey(rawRepresentation: Self.skEm)
        )
        #expect(sealed.encapsulatedKey == Self.pkEm)
        #expect(sealed.ciphertext == Self.ct0)
    }

    @Test func openMatchesRFC9180() throws {
        let recipient = P256HPKEKeyAgreement(privateKey: try P256.KeyAgreement.PrivateKey(rawRepresentation: Self.skRm))
        let message = HPKEBaseMode.SealedMessage(encapsulatedKey: Self.pkEm, ciphertext: Self.ct0)
        #expect(try HPKEBaseMode.open(message, using: recipient, info: Self.info, aad: Self.aad0) == Self.pt)
    }

    @Test func refusesWrongAADInfoKeyAndTampering() throws {
        let key = P256.KeyAgreement.PrivateKey()
        let recipient = P256HPKEKeyAgreement(privateKey: key)
        let sealed = try HPKEBaseMode.seal(to: key.publicKey, info: [1], aad: [2], plaintext: [3, 4, 5])
        #expect(try HPKEBaseMode.open(sealed, using: recipient, info: [1], aad: [2]) == [3, 4, 5])
        #expect(throws: PayloadError(.decryptionFailed, "")) {
            try HPKEBaseMode.open(sealed, using: recipient, info: [1], aad: [9])
        }
        #expect(throws: PayloadError(.decryptionFailed, "")) {
            try HPKEBaseMode.open(sealed, using: recipient, info: [9], aad: [2])
        }
        let other = P256HPKEKeyAgreement(privateKey: P256.KeyAgreement.PrivateKey())
        #expect(throws: PayloadError(.decryptionFailed, "")) {
            try HPKEBaseMode.open(sealed, using: other, info: [1], aad: [2])
        }
        var tampered = sealed
        tampered.ciphertext[0] ^= 1
        #expect(throws: PayloadError(.decryptionFailed, "")) {
            try HPKEBaseMode.open(tampered, using: recipient, info: [1], aad: [2])
        }
        var badPoint = sealed
        badPoint.encapsulatedKey[10] ^= 1
        #expect(throws: PayloadError(.invalidKey, "")) {
            try HPKEBaseMode.open(badPoint, using: recipient, info: [1], aad: [2])
        }
    }
}
