/// The fixed object layout an IoT SAFE applet is personalised with.
///
/// A real applet's containers are created when the eSIM profile is personalised; afterwards GENERATE KEY PAIR only
/// replaces the key inside an existing container, and files are written only by the MNO's remote file management.
/// ``registryDefault()`` follows the seed's on-SIM container map (files 2, 3, 6-10) plus a file for the signed
/// Registry Payload.
public struct IoTSafePersonalisation: Hashable, Sendable, Codable {
    /// What a key pair container is for.
    public enum KeyRole: String, Hashable, Sendable, Codable {
        /// ECDSA P-256 signing (CSR, TLS CertificateVerify).
        case signature
        /// ECDH P-256 key agreement (HPKE-sealed secrets).
        case keyAgreement
    }

    /// A P-256 key pair container: private key ID and public key ID are the same number.
    public struct KeyPair: Hashable, Sendable, Codable {
        /// The container ID (tag 84 for the private key, 85 for the public key).
        public var id: UInt8
        /// The container label (tags 74/75).
        public var label: String
        /// Signature or key agreement.
        public var role: KeyRole
        /// IoT SAFE key usage (01 general, 02 TLS 1.2, 03 TLS 1.3 CertificateVerify).
        public var usage: UInt8

        /// Makes a key pair container description.
        public init(id: UInt8, label: String, role: KeyRole, usage: UInt8 = 0x01) {
            self.id = id
            self.label = label
            self.role = role
            self.usage = usage
        }
    }

    /// A public key container the host may load (PUT PUBLIC KEY): a peer's key for VERIFY SIGNATURE or COMPUTE DH.
    public struct PublicKeySlot: Hashable, Sendable, Codable {
        /// The container ID (tag 85).
        public var id: UInt8
        /// The container label (tag 75).
        public var label: String

        /// Makes a public key container description.
        public init(id: UInt8, label: String) {
            self.id = id
            self.label = label
        }
    }

    /// A file container: readable by the host (READ FILE), written only over the air.
    public struct File: Hashable, Sendable, Codable {
        /// The container ID (tag 83).
        public var id: UInt8
        /// The container label (tag 73).
        public var label: String
        /// Largest content, in bytes.
        public var maxSize: Int
        /// IoT SAFE file usage (01 general, 02 X.509 certificate).
        public var usage: UInt8

        /// Makes a file container description.
        public init(id: UInt8, label: String, maxSize: Int, usage: UInt8 = 0x01) {
            self.id = id
            self.label = label
            self.maxSize = maxSize
            self.usage = usage
        }
    }

    /// The applet's AID (SELECT by name).
    public var aid: [UInt8]
    /// Key pair containers.
    public var keyPairs: [KeyPair]
    /// Loadable public key containers.
    public var publicKeySlots: [PublicKeySlot]
    /// File containers.
    public var files: [File]

    /// Makes a layout.
    public init(aid: [UInt8], keyPairs: [KeyPair], publicKeySlots: [PublicKeySlot], files: [File]) {
        self.aid = aid
        self.keyPairs = keyPairs
        self.publicKeySlots = publicKeySlots
        self.files = files
    }

    /// The GSMA IoT SAFE standard AID.
    public static let gsmaAID: [UInt8] = [0xA0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10]

    /// Private/public key container 1: the client (TLS) key the device certificate is issued for.
    public static let clientKeyID: UInt8 = 0x01
    /// Key container 2: a second signature key (re-key without losing the current identity).
    public static let spareKeyID: UInt8 = 0x02
    /// Key container 3: the key-agreement key payload secrets are sealed to.
    public static let keyAgreementKeyID: UInt8 = 0x03
    /// Public key container 0x10: the peer key loaded for VERIFY SIGNATURE / COMPUTE DH.
    public static let peerPublicKeyID: UInt8 = 0x10

    /// The seed's container map (reference §1.7) and the Registry Payload file.
    public enum FileID {
        /// Client certificate (DER).
        public static let clientCertificate: UInt8 = 0x02
        /// ASP certificate (DER).
        public static let aspCertificate: UInt8 = 0x03
        /// Registry root certificate (DER, self-signed).
        public static let rootCertificate: UInt8 = 0x06
        /// Issuing ("sub") CA certificate (DER).
        public static let issuingCA: UInt8 = 0x07
        /// Server endpoint JSON `{"url":…,"port":…}`.
        public static let endpoint: UInt8 = 0x08
        /// DER ECDSA-SHA256 signature by the issuing CA over the endpoint JSON.
        public static let endpointSignature: UInt8 = 0x09
        /// DER ECDSA-SHA256 signature by the issuing CA over the ASP certificate.
        public static let aspCertificateSignature: UInt8 = 0x0A
        /// The accepted signed Registry Payload (COSE_Sign1), also the anti-rollback record.
        public static let registryPayload: UInt8 = 0x20
    }

    /// The registry's layout: two signature key pairs, one key-agreement pair, one peer slot, the seed's files.
    public static func registryDefault(aid: [UInt8] = gsmaAID) -> IoTSafePersonalisation {
        IoTSafePersonalisation(
            aid: aid,
            keyPairs: [
                KeyPair(id: clientKeyID, label: "client", role: .signature, usage: 0x03),
                KeyPair(id: spareKeyID, label: "spare", role: .signature, usage: 0x01),
                KeyPair(id: keyAgreementKeyID, label: "keyagreement", role: .keyAgreement, usage: 0x01),
            ],
            publicKeySlots: [PublicKeySlot(id: peerPublicKeyID, label: "peer")],
            files: [
                File(id: FileID.clientCertificate, label: "client-cert", maxSize: 2048, usage: 0x02),
                File(id: FileID.aspCertificate, label: "asp-cert", maxSize: 4096, usage: 0x02),
                File(id: FileID.rootCertificate, label: "root-cert", maxSize: 2048, usage: 0x02),
                File(id: FileID.issuingCA, label: "issuing-ca", maxSize: 2048, usage: 0x02),
                File(id: FileID.endpoint, label: "endpoint", maxSize: 256),
                File(id: FileID.endpointSignature, label: "endpoint-sig", maxSize: 128),
                File(id: FileID.aspCertificateSignature, label: "asp-cert-sig", maxSize: 128),
                File(id: FileID.registryPayload, label: "registry-payload", maxSize: 16384),
            ]
        )
    }
}
