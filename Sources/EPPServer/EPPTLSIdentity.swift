import Crypto
public import Foundation
import SwiftASN1
import X509

/// The server's TLS certificate chain and key, as PEM.
///
/// Operators bring their own (a certificate their ASPs trust); ``selfSigned(hostnames:ipAddresses:)`` and
/// ``loadOrCreate(directory:)`` make one for test rigs and first runs.
public struct EPPTLSIdentity: Sendable {
    /// Leaf first.
    public var certificateChainPEM: String
    /// Never logged, never in a description.
    public var privateKeyPEM: String

    public init(certificateChainPEM: String, privateKeyPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// A fresh P-256 self-signed server certificate for these names, valid for a year.
    public static func selfSigned(hostnames: [String] = ["localhost"], ipAddresses: [[UInt8]] = [[127, 0, 0, 1]])
        throws -> EPPTLSIdentity
    {
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            CommonName(hostnames.first ?? "iotreg EPP")
            OrganizationName("iotreg EPP server")
        }
        let now = Date()
        var names: [GeneralName] = hostnames.map { .dnsName($0) }
        names += ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            KeyUsage(digitalSignature: true)
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: certificateKey)
        return EPPTLSIdentity(
            certificateChainPEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
    }

    /// `epp-tls.pem` and `epp-tls.key` in `directory`; made (self-signed, key mode 0600) when absent.
    public static func loadOrCreate(directory: URL) throws -> EPPTLSIdentity {
        let certificateURL = directory.appendingPathComponent("epp-tls.pem")
        let keyURL = directory.appendingPathComponent("epp-tls.key")
        let manager = FileManager.default
        if manager.fileExists(atPath: certificateURL.path), manager.fileExists(atPath: keyURL.path) {
            return EPPTLSIdentity(
                certificateChainPEM: try String(contentsOf: certificateURL, encoding: .utf8),
                privateKeyPEM: try String(contentsOf: keyURL, encoding: .utf8))
        }
        let identity = try selfSigned()
        try Data(identity.certificateChainPEM.utf8).write(to: certificateURL, options: .atomic)
        _ = manager.createFile(atPath: keyURL.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try Data(identity.privateKeyPEM.utf8).write(to: keyURL)
        return identity
    }
}
