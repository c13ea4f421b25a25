import Crypto
import DeviceKit
import Foundation
import Payload
import SwiftASN1
import X509

extension Array where Element == UInt8 {
    init(hex: String) {
        var out: [UInt8] = []
        var index = hex.startIndex
        while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index != hex.endIndex {
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        self = out
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
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

func der(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
}

/// A miniature registry for tests: root CA → issuing CA → {payload signer, device certificates}.
struct TestRegistry {
    static let eid = "89049032123451234512345678901235"
    let now = Date()
    let rootKey = P256.Signing.PrivateKey()
    let issuingKey = P256.Signing.PrivateKey()
    let payloadKey = P256.Signing.PrivateKey()
    let root: Certificate
    let issuing: Certificate
    let payloadSigner: Certificate

    init() throws {
        let rootName = try DistinguishedName { CommonName("iotreg test root") }
        let issuingName = try DistinguishedName { CommonName("iotreg test issuing CA") }
        let caExtensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
        }
        root = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(rootKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86400 * 3650),
            issuer: rootName,
            subject: rootName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: caExtensions,
            issuerPrivateKey: .init(rootKey)
        )
        issuing = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(issuingKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86400 * 1825),
            issuer: rootName,
            subject: issuingName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: caExtensions,
            issuerPrivateKey: .init(rootKey)
        )
        payloadSigner = try Self.leaf(
            "iotreg payload signer",
            key: payloadKey.publicKey,
            issuer: issuingName,
            issuerKey: issuingKey,
            now: now
        )
    }

    static func leaf(
        _ name: String,
        key: P256.Signing.PublicKey,
        issuer: DistinguishedName,
        issuerKey: P256.Signing.PrivateKey,
        now: Date
    ) throws -> Certificate {
        try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86400 * 365),
            issuer: issuer,
            subject: try DistinguishedName { CommonName(name) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
            },
            issuerPrivateKey: .init(issuerKey)
        )
    }

    func deviceCertificate(for key: P256.Signing.PublicKey, rpid: UInt64 = 16) throws -> Certificate {
        try Self.leaf(
            "\(rpid).\(Self.eid).iotregistry.test", key: key, issuer: issuing.subject, issuerKey: issuingKey, now: now)
    }

    /// A payload for the device whose eSIM holds `clientKey` and `keyAgreementKey`.
    func payload(
        sequence: UInt64,
        clientKey: P256.Signing.PublicKey,
        keyAgreementKey: P256.KeyAgreement.PublicKey?,
        eid: String = TestRegistry.eid,
        notAfter: Date? = nil,
        seedSignatures: Bool = true
    ) throws -> RegistryPayload {
        let aspCertificate = try der(
            Self.leaf(
                "mqtt.parkoserv.test", key: P256.Signing.PrivateKey().publicKey, issuer: issuing.subject,
                issuerKey: issuingKey, now: now)
        )
        let asp = RegistryPayload.ASPEndpoint(
            fqdn: "mqtt.parkoserv.test",
            port: 8883,
            url: "mqtts://mqtt.parkoserv.test:8883",
            protocol: "mqtts",
            certificate: aspCertificate
        )
        let seed = RegistryPayload.SeedSignatures(
            endpointSignature: Array(try issuingKey.signature(for: asp.seedEndpointJSON).derRepresentation),
            aspCertificateSignature: Array(try issuingKey.signature(for: aspCertificate).derRepresentation)
        )
        return RegistryPayload(
            sequence: sequence,
            issuedAt: now.addingTimeInterval(-60),
            notAfter: notAfter ?? now.addingTimeInterval(86400 * 30),
            device: .init(
                eid: eid,
                rpid: 16,
                dnsName: "\(eid)._device.iotregistry.test.",
                certificate: try der(try deviceCertificate(for: clientKey)),
                issuingCA: try der(issuing)
            ),
            asp: asp,
            registryRoot: try der(root),
            resolver: .init(
                address: "127.0.0.1", authenticationName: "dot.iotregistry.test",
                spkiSHA256: Array(repeating: 1, count: 32)),
            trustAnchors: DNSTrustAnchor.ianaRoot,
            wifi: try keyAgreementKey.map {
                try RegistryPayload.WiFi.seal(ssid: "city", passphrase: "s3cret-wifi", to: $0, eid: eid)
            },
            mudURL: nil,
            seedSignatures: seedSignatures ? seed : nil
        )
    }

    func sign(_ payload: RegistryPayload, with key: P256.Signing.PrivateKey? = nil, chain: [Certificate]? = nil) throws
        -> [UInt8]
    {
        try payload.signed(
            by: P256COSESigner(privateKey: key ?? payloadKey),
            keyID: Array(SHA256.hash(data: payloadKey.publicKey.derRepresentation)),
            certificateChain: try (chain ?? [payloadSigner, issuing]).map(der)
        )
    }
}

/// A personalised simulated eSIM with generated keys and the root pre-provisioned, plus a client on it.
struct TestDevice {
    let applet: SimulatedIoTSafeApplet
    let client: IoTSafeClient

    init(stateFile: URL? = nil, root: Certificate? = nil) throws {
        applet = try SimulatedIoTSafeApplet(stateFile: stateFile)
        client = try IoTSafeClient(applet: applet)
        _ = try client.generateKeyPair(in: IoTSafePersonalisation.clientKeyID)
        _ = try client.generateKeyPair(in: IoTSafePersonalisation.spareKeyID)
        _ = try client.generateKeyPair(in: IoTSafePersonalisation.keyAgreementKeyID)
        if let root { try applet.writeFiles([IoTSafePersonalisation.FileID.rootCertificate: try der(root)]) }
    }

    var clientKey: P256.Signing.PublicKey { get throws { try client.signingPublicKey() } }
    var keyAgreementKey: P256.KeyAgreement.PublicKey {
        get throws { try IoTSafeKeyAgreement(client: client).publicKey }
    }
}
