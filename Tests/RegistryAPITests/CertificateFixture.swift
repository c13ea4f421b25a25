import Crypto
import Foundation
import PKI
import RegistryCore
import SwiftASN1
import X509

/// A CA tree in memory for live registries, and device CSRs made in Swift (peer tests make theirs with openssl).
enum CertificateFixture {
    static func pki(validity: TimeInterval = 365 * 86_400, grace: TimeInterval = 90 * 86_400) throws -> RegistryPKI {
        let hierarchy = try CAHierarchy.create(
            keyStore: InMemoryKeyStore(),
            rootSubject: try DistinguishedName(parsing: "CN=IoT Registry Root CA, O=IoT Registry iotregistry.test"),
            issuing: [
                "devices": try DistinguishedName(
                    parsing: "CN=IoT Registry Issuing CA devices, O=IoT Registry iotregistry.test")
            ])
        return try RegistryPKI(
            hierarchy: hierarchy, issuingDomain: "devices", zone: "iotregistry.test.",
            urls: try PublicationURLs(base: "http://127.0.0.1:8080"), validity: validity, renewalGrace: grace)
    }

    /// A PEM PKCS#10 request for a fresh P-256 key.
    static func csrPEM(commonName: String = "meter") throws -> String {
        try csr(commonName: commonName).serializeAsPEM().pemString
    }

    /// The base64 DER body of an EST request for a fresh P-256 key.
    static func estBody(commonName: String = "meter") throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(try csr(commonName: commonName))
        return Data(serializer.serializedBytes).base64EncodedString(options: .lineLength64Characters)
    }

    static func csr(commonName: String) throws -> CertificateSigningRequest {
        try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) },
            privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()),
            attributes: CertificateSigningRequest.Attributes())
    }
}

extension CertificateFixture {
    /// A device certificate the registry never recorded (OCSP answers `unknown` for it).
    static func deviceCertificate(issuer: CertificateAuthority) throws -> Certificate {
        try DeviceCertificateProfile(
            publicKey: Certificate.PublicKey(P256.Signing.PrivateKey().publicKey), rpid: 1,
            eid: LiveRegistry.eid(4242), zone: "iotregistry.test.", urls: try PublicationURLs(base: "http://127.0.0.1:8080")
        ).issue(by: issuer)
    }
}
