public import Crypto

// RFC 9180, base mode (mode_base = 0x00) with one ciphersuite:
//   KEM  0x0010 DHKEM(P-256, HKDF-SHA256)   Nsecret 32, Nenc 65, Npk 65
//   KDF  0x0001 HKDF-SHA256                 Nh 32
//   AEAD 0x0001 AES-128-GCM                 Nk 16, Nn 12, Nt 16
//
//   LabeledExtract(salt, label, ikm)     = Extract(salt, "HPKE-v1" || suite_id || label || ikm)
//   LabeledExpand(prk, label, info, L)   = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)
//   KEM suite_id  = "KEM"  || I2OSP(kem_id, 2)
//   HPKE suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)
//   Encap(pkR): dh = DH(skE, pkR); enc = SerializePublicKey(pkE); kem_context = enc || SerializePublicKey(pkR)
//               shared_secret = LabeledExpand(LabeledExtract("", "eae_prk", dh), "shared_secret", kem_context, 32)
//   KeySchedule: ctx = 0x00 || LabeledExtract("", "psk_id_hash", "") || LabeledExtract("", "info_hash", info)
//                secret = LabeledExtract(shared_secret, "secret", ""); key = LabeledExpand(secret, "key", ctx, 16)
//                base_nonce = LabeledExpand(secret, "base_nonce", ctx, 12)

/// HPKE (RFC 9180) base mode with DHKEM(P-256, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, single-shot.
///
/// Written over swift-crypto's primitives rather than its `HPKE` type because the recipient's ECDH must go through
/// an ``HPKEKeyAgreement`` (the eSIM), which a private-key-based API cannot do. Only the first message of a context
/// (sequence 0) is produced, which is all a sealed secret in a payload needs.
public enum HPKEBaseMode {
    /// One sealed message: the encapsulated key and the ciphertext (with its 16-byte tag).
    public struct SealedMessage: Hashable, Sendable {
        /// The sender's ephemeral public key, uncompressed (65 bytes).
        public var encapsulatedKey: [UInt8]
        /// AES-128-GCM ciphertext followed by the tag.
        public var ciphertext: [UInt8]

        /// Makes a sealed message from its parts.
        public init(encapsulatedKey: [UInt8], ciphertext: [UInt8]) {
            self.encapsulatedKey = encapsulatedKey
            self.ciphertext = ciphertext
        }
    }

    static let kemID: UInt16 = 0x0010
    static let kdfID: UInt16 = 0x0001
    static let aeadID: UInt16 = 0x0001
    static let kemSuiteID: [UInt8] = Array("KEM".utf8) + i2osp(kemID)
    static let hpkeSuiteID: [UInt8] = Array("HPKE".utf8) + i2osp(kemID) + i2osp(kdfID) + i2osp(aeadID)

    /// Encrypts `plaintext` to `recipientPublicKey`.
    ///
    /// - Parameters:
    ///   - recipientPublicKey: the recipient's key-agreement key (the eSIM's key-agreement container).
    ///   - info: application context bound into the key schedule (names what the secret is for).
    ///   - aad: additional data authenticated with the ciphertext (e.g. the device's EID).
    ///   - plaintext: the secret.
    /// - Returns: the encapsulated key and ciphertext.
    public static func seal(
        to recipientPublicKey: P256.KeyAgreement.PublicKey,
        info: [UInt8],
        aad: [UInt8],
        plaintext: [UInt8]
    ) throws -> SealedMessage {
        try seal(
            to: recipientPublicKey,
            info: info,
            aad: aad,
            plaintext: plaintext,
            ephemeralKey: P256.KeyAgreement.PrivateKey()
        )
    }

    /// Seal with a given ephemeral key (RFC 9180 test vectors fix `skEm`).
    static func seal(
        to recipientPublicKey: P256.KeyAgreement.PublicKey,
        info: [UInt8],
        aad: [UInt8],
        plaintext: [UInt8],
        ephemeralKey: P256.KeyAgreement.PrivateKey
    ) throws -> SealedMessage {
        let dh = try P256HPKEKeyAgreement(privateKey: ephemeralKey).sharedSecret(with: recipientPublicKey)
        let enc = Array(ephemeralKey.publicKey.x963Representation)
        let sharedSecret = extractAndExpand(dh: dh, kemContext: enc + Array(recipientPublicKey.x963Representation))
        let (key, nonce) = keySchedule(sharedSecret: sharedSecret, info: info)
        do {
            let box = try AES.GCM.seal(
                plaintext,
                using: SymmetricKey(data: key),
                nonce: try AES.GCM.Nonce(data: nonce),
                authenticating: aad
            )
            return SealedMessage(encapsulatedKey: enc, ciphertext: Array(box.ciphertext) + Array(box.tag))
        } catch {
            throw PayloadError(.invalidKey, "AES-128-GCM seal failed: \(error)")
        }
    }

    /// Decrypts a message sealed to the recipient behind `recipient`.
    ///
    /// - Parameters:
    ///   - message: encapsulated key and ciphertext.
    ///   - recipient: performs the ECDH with the recipient's private key (e.g. on the eSIM).
    ///   - info: the same info the sender used.
    ///   - aad: the same additional data the sender used.
    /// - Throws: ``PayloadError`` `invalidKey` for a bad encapsulated key, `keyAgreementFailed`, or
    ///   `decryptionFailed` when the ciphertext, info or aad do not match.
    public static func open(
        _ message: SealedMessage,
        using recipient: some HPKEKeyAgreement,
        info: [UInt8],
        aad: [UInt8]
    ) throws -> [UInt8] {
        guard message.encapsulatedKey.count == 65,
            let ephemeral = try? P256.KeyAgreement.PublicKey(x963Representation: message.encapsulatedKey)
        else {
            throw PayloadError(.invalidKey, "HPKE enc must be an uncompressed P-256 point (65 bytes) on the curve")
        }
        guard message.ciphertext.count >= 16 else {
            throw PayloadError(.decryptionFailed, "HPKE ciphertext is shorter than the 16-byte AES-GCM tag")
        }
        let dh = try recipient.sharedSecret(with: ephemeral)
        guard dh.count == 32 else {
            throw PayloadError(.keyAgreementFailed, "ECDH returned \(dh.count) bytes; expected a 32-byte x-coordinate")
        }
        let recipientKey = try recipient.publicKey
        let kemContext = message.encapsulatedKey + Array(recipientKey.x963Representation)
        let sharedSecret = extractAndExpand(dh: dh, kemContext: kemContext)
        let (key, nonce) = keySchedule(sharedSecret: sharedSecret, info: info)
        do {
            let box = try AES.GCM.SealedBox(
                nonce: try AES.GCM.Nonce(data: nonce),
                ciphertext: message.ciphertext.dropLast(16),
                tag: message.ciphertext.suffix(16)
            )
            return Array(try AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: aad))
        } catch {
            throw PayloadError(
                .decryptionFailed,
                "HPKE open failed: the ciphertext, info or aad do not match, or it was sealed to another key"
            )
        }
    }

    // MARK: - RFC 9180 building blocks

    static func i2osp(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func labeledExtract(suiteID: [UInt8], salt: [UInt8], label: String, ikm: [UInt8]) -> [UInt8] {
        let labeled = Array("HPKE-v1".utf8) + suiteID + Array(label.utf8) + ikm
        let prk = HMAC<SHA256>.authenticationCode(for: labeled, using: SymmetricKey(data: salt))
        return Array(prk)
    }

    static func labeledExpand(suiteID: [UInt8], prk: [UInt8], label: String, info: [UInt8], length: UInt16) -> [UInt8] {
        let labeled = i2osp(length) + Array("HPKE-v1".utf8) + suiteID + Array(label.utf8) + info
        let okm = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: labeled, outputByteCount: Int(length))
        return okm.withUnsafeBytes { Array($0) }
    }

    static func extractAndExpand(dh: [UInt8], kemContext: [UInt8]) -> [UInt8] {
        let prk = labeledExtract(suiteID: kemSuiteID, salt: [], label: "eae_prk", ikm: dh)
        return labeledExpand(suiteID: kemSuiteID, prk: prk, label: "shared_secret", info: kemContext, length: 32)
    }

    static func keySchedule(sharedSecret: [UInt8], info: [UInt8]) -> (key: [UInt8], baseNonce: [UInt8]) {
        let pskIDHash = labeledExtract(suiteID: hpkeSuiteID, salt: [], label: "psk_id_hash", ikm: [])
        let infoHash = labeledExtract(suiteID: hpkeSuiteID, salt: [], label: "info_hash", ikm: info)
        let context = [0x00] + pskIDHash + infoHash
        let secret = labeledExtract(suiteID: hpkeSuiteID, salt: sharedSecret, label: "secret", ikm: [])
        let key = labeledExpand(suiteID: hpkeSuiteID, prk: secret, label: "key", info: context, length: 16)
        let nonce = labeledExpand(suiteID: hpkeSuiteID, prk: secret, label: "base_nonce", info: context, length: 12)
        return (key, nonce)
    }
}
