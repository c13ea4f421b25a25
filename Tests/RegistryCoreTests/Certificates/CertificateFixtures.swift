import Crypto
import Foundation
import PKI
import RegistryCore
import SwiftASN1
import X509

/// A CA tree in memory and device CSRs, for the certificate use cases.
enum CertificateFixture {
    static let zone = "iotregistry.test."

    static func pki(validity: TimeInterval = 30 * 86_400, grace: TimeInterval = 10 * 86_400) throws -> RegistryPKI {
        let hierarchy = try CAHierarchy.create(
            keyStore: InMemoryKeyStore(),
            rootSubject: try DistinguishedName(parsing: "CN=IoT Registry Root CA, O=IoT Registry Test"),
            issuing: ["devices": try DistinguishedName(parsing: "CN=IoT Registry Issuing CA devices, O=IoT Registry Test")],
            now: Date(timeIntervalSince1970: 1_700_000_000))
        return try RegistryPKI(
            hierarchy: hierarchy, issuingDomain: "devices", zone: zone,
            urls: try PublicationURLs(base: "http://127.0.0.1:8080"), validity: validity, renewalGrace: grace)
    }

    /// A world whose registry has a CA, and whose clock is the CA's.
    static func world(validity: TimeInterval = 30 * 86_400, grace: TimeInterval = 10 * 86_400) async throws -> World {
        try await World.make(pki: try pki(validity: validity, grace: grace))
    }

    /// A DER PKCS#10 request signed by `key`, with a subject the registry must ignore.
    static func csr(_ key: P256.Signing.PrivateKey = .init(), commonName: String = "ignored.example") throws -> [UInt8] {
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) },
            privateKey: Certificate.PrivateKey(key), attributes: CertificateSigningRequest.Attributes())
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }

    /// The same request as an EST body (base64 DER).
    static func estBody(_ key: P256.Signing.PrivateKey = .init(), commonName: String = "ignored.example") throws
        -> [UInt8]
    {
        Array(Data(try csr(key, commonName: commonName)).base64EncodedString(options: .lineLength64Characters).utf8)
    }
}
