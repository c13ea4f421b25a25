public import Crypto
public import Foundation
import PKI
public import RegistryCore
import SwiftASN1
import X509

/// A registry CA in memory and device CSRs made in Swift, for the test suites that exercise certificate use cases
/// (peer tests make their CSRs with openssl instead).
public enum TestCertificates {
    /// A root and a `devices` issuing CA in an in-memory key store, issuing for `iotregistry.test.`.
    ///
    /// - Parameter now: the CAs' own clock (their certificates' validity starts there).
    public static func pki(
        validity: TimeInterval = 30 * 86_400, grace: TimeInterval = 10 * 86_400, now: Date = Date()
    ) throws -> RegistryPKI {
        let hierarchy = try CAHierarchy.create(
            keyStore: InMemoryKeyStore(),
            rootSubject: try DistinguishedName(parsing: "CN=IoT Registry Root CA, O=IoT Registry Test"),
            issuing: [
                "devices": try DistinguishedName(parsing: "CN=IoT Registry Issuing CA devices, O=IoT Registry Test")
            ],
            now: now)
        return try RegistryPKI(
            hierarchy: hierarchy, issuingDomain: "devices", zone: "iotregistry.test.",
            urls: try PublicationURLs(base: "http://127.0.0.1:8080"), validity: validity, renewalGrace: grace)
    }

    /// A DER PKCS#10 request signed by `key`, with a subject the registry must ignore.
    public static func csr(_ key: P256.Signing.PrivateKey = .init(), commonName: String = "ignored.example") throws
        -> [UInt8]
    {
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) },
            privateKey: Certificate.PrivateKey(key), attributes: CertificateSigningRequest.Attributes())
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }
}
