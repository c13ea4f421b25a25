import Crypto
import DNSSEC
import DNSWire
import EPPServer
import Foundation
import PKI
import Payload
import RegistryCore
import RegistryProvisioning
import RegistryZone
import X509

/// The payload signer and what every payload carries, from the data folder:
///
/// ```
/// DIR/ca/keys/payload-signer.key  the payload-signing key, in the encrypted key store
/// DIR/ca/payload-signer.pem       its certificate, issued by the device-issuing CA; re-issued 30 days before expiry
/// DIR/dot/epp-tls.pem             the DoT certificate whose SPKI pin payloads carry
/// ```
extension RegistryHome {
    static let payloadSignerLabel = "payload-signer"
    var payloadSignerURL: URL { caDirectory.appendingPathComponent("payload-signer.pem") }

    /// The payload signer; its key is made on first use and its certificate (re-)issued when missing or near expiry.
    func payloadSigner(pki: RegistryPKI, now: Date = Date()) throws -> PayloadSigner {
        let store = try keyStore(create: false)
        let key: any KeyStoreSigner
        if let existing = try? store.signer(label: Self.payloadSignerLabel) {
            key = existing
        } else {
            key = try store.generateKey(label: Self.payloadSignerLabel, algorithm: .ecdsaP256)
        }
        let issuer = try pki.issuer
        if let data = FileManager.default.contents(atPath: payloadSignerURL.path),
            let certificate = try? Certificate(pemOrDER: Array(data)), certificate.publicKey == key.publicKey,
            certificate.notValidAfter > now + 30 * 86_400
        {
            return try PayloadSigner(key: key, chain: [certificate, issuer.certificate])
        }
        let certificate = try PayloadSignerCertificateProfile(
            publicKey: key.publicKey, commonName: "IoT Registry Payload Signer"
        ).issue(by: issuer, now: now)
        try Data(certificate.pemString.utf8).write(to: payloadSignerURL, options: .atomic)
        return try PayloadSigner(key: key, chain: [certificate, issuer.certificate])
    }

    /// The DoT identity (self-signed, kept in `DIR/dot`, its key sealed), whose SPKI pin payloads carry.
    func dotIdentity() throws -> EPPTLSIdentity {
        try sealedTLSIdentity(in: directory.appendingPathComponent("dot", isDirectory: true), purpose: "dot")
    }

    /// Writes the DoT identity for a secondary that serves devices over TLS (NSD's `tls-service-pem` and
    /// `tls-service-key`): payloads pin its SPKI, so the secondary must present this identity. The key is written
    /// 0600 (``writeSecret(_:to:)``), and the folder must be the secondary's alone.
    func writeDoTIdentity(to directory: URL) throws -> (certificate: URL, key: URL) {
        let identity = try dotIdentity()
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certificate = directory.appendingPathComponent("dot.pem")
        let key = directory.appendingPathComponent("dot.key")
        try Data(identity.certificateChainPEM.utf8).write(to: certificate)
        try Self.writeSecret(Data(identity.privateKeyPEM.utf8), to: key)
        return (certificate, key)
    }

    /// The DoT certificate's SPKI SHA-256: the pin (RFC 7858 §4.2) devices and ASPs authenticate the resolver by.
    func dotSPKIPin() throws -> [UInt8] {
        let certificate = try Certificate(pemOrDER: Array(try dotIdentity().certificateChainPEM.utf8))
        return Array(SHA256.hash(data: try CertificateDER.subjectPublicKeyInfo(certificate.derBytes)))
    }

    /// What every payload carries: the DoT resolver (`host:port`, pinned by SPKI) and the trust anchors (IANA root
    /// and this zone's DS).
    func payloadSettings(zone: String, dotHost: String, dotPort: Int, wifi: (String, String)?) throws
        -> PayloadSettings
    {
        let apex = try zoneConfiguration(zone: zone).apex
        let ds = try zoneKeys(create: false).keySigningKey.ds(owner: apex)
        let anchor = DNSTrustAnchor(
            zone: apex.description, keyTag: ds.keyTag, algorithm: ds.algorithm.rawValue,
            digestType: ds.digestType.rawValue, digest: ds.digest)
        return PayloadSettings(
            resolver: RegistryPayload.DNSResolver(
                address: dotHost, port: UInt16(clamping: dotPort), authenticationName: "localhost",
                spkiSHA256: try dotSPKIPin()),
            trustAnchors: DNSTrustAnchor.ianaRoot + [anchor], wifi: wifi.map { (ssid: $0.0, passphrase: $0.1) })
    }
}
