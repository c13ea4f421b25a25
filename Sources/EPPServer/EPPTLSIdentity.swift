import Crypto
public import Foundation
import SwiftASN1
import X509

/// The server's TLS certificate chain and key, as PEM.
///
/// Operators bring their own (a certificate their ASPs trust); ``selfSigned(hostnames:ipAddresses:)`` makes one for
/// test rigs and first runs. Where it is kept is the host's business (`iotreg` seals the key at rest).
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
}
