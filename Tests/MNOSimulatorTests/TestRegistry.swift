import Crypto
import Foundation
import MNOSimulator
import PKI
import Payload
import SwiftASN1
import X509

extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

func der(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The `n`-th test EID: 32 digits.
func testEID(_ n: Int) -> String {
    let digits = String(n)
    return "8904903200000000000000" + String(repeating: "0", count: 10 - digits.count) + digits
}

/// A temporary fleet directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mnosim-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The registry side, in miniature, made with PKI's CertificateAuthority: root → issuing CA → {payload signer,
/// device certificates}; builds and signs Registry Payloads with the Payload module.
struct TestRegistry: Sendable {
    let now = Date()
    let root: CertificateAuthority
    let issuing: CertificateAuthority
    let payloadKey = P256.Signing.PrivateKey()
    let payloadSigner: Certificate
    let urls: PublicationURLs

    init() throws {
        let keys = InMemoryKeyStore()
        root = try CertificateAuthority.createRoot(
            subject: try DistinguishedName { CommonName("iotreg test root") }, keyStore: keys, label: "root")
        issuing = try root.createIntermediate(
            subject: try DistinguishedName { CommonName("iotreg test issuing CA") }, keyStore: keys, label: "issuing")
        payloadSigner = try issuing.issue(
            subject: try DistinguishedName { CommonName("iotreg payload signer") },
            publicKey: .init(payloadKey.publicKey),
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
            },
            notBefore: now - 300,
            notAfter: now + 86400 * 365
        )
        urls = try PublicationURLs(base: "http://registry.test")
    }

    /// The device certificate for a CSR (PEM), as the registry's CA issues it: only the CSR's key is used.
    func issue(csrPEM: String, eid: String, rpid: UInt64 = 1) throws -> Certificate {
        let csr = try ValidatedCSR(pemOrDER: Array(csrPEM.utf8))
        return try DeviceCertificateProfile(
            publicKey: csr.publicKey, rpid: rpid, eid: eid, zone: "iotregistry.test.", urls: urls
        ).issue(by: issuing, now: now)
    }

    /// A signed payload for `eid` naming `deviceCertificate`, with Wi-Fi sealed to `keyAgreementKey`.
    func signedPayload(
        eid: String,
        sequence: UInt64,
        deviceCertificate: Certificate,
        keyAgreementKey: P256.KeyAgreement.PublicKey?,
        asp: String = "mqtt.parkoserv.test",
        notAfter: Date? = nil,
        payloadEID: String? = nil
    ) throws -> [UInt8] {
        let payload = RegistryPayload(
            sequence: sequence,
            issuedAt: now - 60,
            notAfter: notAfter ?? now + 86400 * 30,
            device: .init(
                eid: payloadEID ?? eid,
                rpid: 1,
                dnsName: "\(eid)._device.iotregistry.test.",
                certificate: try der(deviceCertificate),
                issuingCA: try der(issuing.certificate)
            ),
            asp: .init(
                fqdn: asp, port: 8883, url: "mqtts://\(asp):8883", protocol: "mqtts",
                certificate: try der(payloadSigner)
            ),
            registryRoot: try der(root.certificate),
            resolver: .init(
                address: "127.0.0.1", authenticationName: "dot.iotregistry.test",
                spkiSHA256: Array(repeating: 7, count: 32)),
            trustAnchors: DNSTrustAnchor.ianaRoot,
            wifi: try keyAgreementKey.map {
                try RegistryPayload.WiFi.seal(ssid: "city", passphrase: "s3cret-wifi", to: $0, eid: payloadEID ?? eid)
            },
            mudURL: nil,
            seedSignatures: nil
        )
        return try payload.signed(
            by: P256COSESigner(privateKey: payloadKey),
            keyID: Array(SHA256.hash(data: payloadKey.publicKey.derRepresentation)),
            certificateChain: [try der(payloadSigner), try der(issuing.certificate)]
        )
    }
}
