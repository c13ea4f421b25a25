public import Crypto

// wifi = { 1: tstr ssid, 2: bstr enc, 3: bstr ciphertext }
//   HPKE base mode (RFC 9180, DHKEM(P-256)/HKDF-SHA256/AES-128-GCM) to the eSIM's key-agreement key,
//   info = "iotreg wifi v1", aad = the device's EID (UTF-8), plaintext = the passphrase (UTF-8).

extension RegistryPayload {
    /// Wi-Fi credentials: the SSID in clear, the passphrase sealed to the device's eSIM.
    public struct WiFi: Hashable, Sendable {
        /// The network name.
        public var ssid: String
        /// The passphrase, HPKE-sealed to the eSIM's key-agreement key and bound to the device's EID.
        public var sealedPassphrase: HPKEBaseMode.SealedMessage

        /// The HPKE `info` for Wi-Fi secrets: names what the key schedule is for.
        public static let hpkeInfo = Array("iotreg wifi v1".utf8)

        /// Makes the section from an already sealed passphrase.
        public init(ssid: String, sealedPassphrase: HPKEBaseMode.SealedMessage) {
            self.ssid = ssid
            self.sealedPassphrase = sealedPassphrase
        }

        /// Seals `passphrase` to the eSIM key-agreement key of the device `eid`.
        ///
        /// The EID is the AAD, so a sealed secret moved into another device's payload does not open.
        public static func seal(
            ssid: String,
            passphrase: String,
            to recipient: P256.KeyAgreement.PublicKey,
            eid: String
        ) throws -> WiFi {
            let sealed = try HPKEBaseMode.seal(
                to: recipient,
                info: hpkeInfo,
                aad: Array(eid.utf8),
                plaintext: Array(passphrase.utf8)
            )
            return WiFi(ssid: ssid, sealedPassphrase: sealed)
        }

        /// Opens the passphrase through the device's key agreement (its eSIM).
        ///
        /// - Throws: ``PayloadError`` `decryptionFailed` when sealed to another key or device, `invalidUTF8`.
        public func openPassphrase(using recipient: some HPKEKeyAgreement, eid: String) throws -> String {
            let plaintext = try HPKEBaseMode.open(
                sealedPassphrase,
                using: recipient,
                info: Self.hpkeInfo,
                aad: Array(eid.utf8)
            )
            guard let passphrase = String(validating: plaintext, as: UTF8.self) else {
                throw PayloadError(.invalidUTF8, "the opened Wi-Fi passphrase is not UTF-8")
            }
            return passphrase
        }

        var cbor: CBOR {
            [1: .text(ssid), 2: .bytes(sealedPassphrase.encapsulatedKey), 3: .bytes(sealedPassphrase.ciphertext)]
        }

        init(cbor: CBOR) throws {
            let r = try CBORMapReader(cbor, structure: "wifi")
            self.init(
                ssid: try r.text(1, "ssid"),
                sealedPassphrase: HPKEBaseMode.SealedMessage(
                    encapsulatedKey: try r.bytes(2, "enc"),
                    ciphertext: try r.bytes(3, "ciphertext")
                )
            )
        }
    }
}
