import Crypto
import Foundation
import PKI
import RegistryCore
import RegistryTesting
import SwiftASN1
import X509

/// A CA tree in memory and device CSRs, for the certificate use cases.
enum CertificateFixture {
    static let zone = "iotregistry.test."

    static func pki(validity: TimeInterval = 30 * 86_400, grace: TimeInterval = 10 * 86_400) throws -> RegistryPKI {
        try TestCertificates.pki(validity: validity, grace: grace, now: Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// A world whose registry has a CA, and whose clock is the CA's.
    static func world(validity: TimeInterval = 30 * 86_400, grace: TimeInterval = 10 * 86_400) async throws -> World {
        try await World.make(pki: try pki(validity: validity, grace: grace))
    }

    static func csr(_ key: P256.Signing.PrivateKey = .init(), commonName: String = "ignored.example") throws -> [UInt8]
    {
        try TestCertificates.csr(key, commonName: commonName)
    }

    /// The same request as an EST body (base64 DER).
    static func estBody(_ key: P256.Signing.PrivateKey = .init(), commonName: String = "ignored.example") throws
        -> [UInt8]
    {
        Array(Data(try csr(key, commonName: commonName)).base64EncodedString(options: .lineLength64Characters).utf8)
    }
}
