public import Foundation
import SwiftASN1
public import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TLS server certificate: the registry's own listeners (DoT, EST, EPP, HTTPS) and the sample ASPs' servers.
///
/// SAN dNSName/iPAddress entries (CN = the first name, for old clients), EKU serverAuth (plus clientAuth when the
/// holder also logs in with it, as an ASP's EPP client does), KU digitalSignature (critical), CA:FALSE (critical),
/// SKI, AKI, and the same CRL/AIA pointers as device certificates when `urls` is given.
public struct ServerCertificateProfile: Sendable {
    /// The server's public key.
    public var publicKey: Certificate.PublicKey
    /// Host names (SAN dNSName), e.g. `registry.iotregistry.test`, `parkoserv.example`.
    public var dnsNames: [String]
    /// IP addresses (SAN iPAddress), IPv4 or IPv6 text, e.g. `127.0.0.1`.
    public var ipAddresses: [String]
    /// Also allow TLS client authentication with this certificate.
    public var includeClientAuth: Bool
    /// Validity; default 397 days (the CA/B Forum maximum for public TLS, a sane default here too).
    public var validity: TimeInterval
    /// Revocation and issuer pointers, if published.
    public var urls: PublicationURLs?

    public init(
        publicKey: Certificate.PublicKey,
        dnsNames: [String],
        ipAddresses: [String] = [],
        includeClientAuth: Bool = false,
        validity: TimeInterval = 397 * 86_400,
        urls: PublicationURLs? = nil
    ) {
        self.publicKey = publicKey
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.includeClientAuth = includeClientAuth
        self.validity = validity
        self.urls = urls
    }

    /// Builds and signs the certificate with `authority`.
    public func issue(by authority: CertificateAuthority, now: Date = Date()) throws -> Certificate {
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else {
            throw PKIError.invalid("a server certificate needs at least one DNS name or IP address")
        }
        var names: [GeneralName] = []
        for name in dnsNames {
            var host = name.lowercased()
            if host.hasSuffix(".") { host.removeLast() }
            try DNSNames.checkName(host.hasPrefix("*.") ? String(host.dropFirst(2)) : host, what: "server name")
            names.append(.dnsName(host))
        }
        for address in ipAddresses {
            names.append(.ipAddress(ASN1OctetString(contentBytes: try Self.ipBytes(address)[...])))
        }
        let cn = dnsNames.first.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 } ?? ipAddresses[0]
        let subject = try DistinguishedName { CommonName(cn.lowercased()) }
        let aki = authority.keyIdentifier
        let urls = self.urls
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage(includeClientAuth ? [.serverAuth, .clientAuth] : [.serverAuth])
            SubjectAlternativeNames(names)
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: aki.bytes[...])
            if let urls {
                CRLDistributionPoints(uris: [urls.crlURL(aki: aki)])
                AuthorityInformationAccess([
                    .init(method: .ocspServer, location: .uniformResourceIdentifier(urls.ocspURL)),
                    .init(method: .issuingCA, location: .uniformResourceIdentifier(urls.caIssuersURL(aki: aki))),
                ])
            }
        }
        let notAfter = min(now + validity, authority.certificate.notValidAfter)
        return try authority.issue(
            subject: subject, publicKey: publicKey, extensions: extensions, notBefore: now - 300, notAfter: notAfter
        )
    }

    static func ipBytes(_ text: String) throws -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        throw PKIError.invalid("'\(text)' is not an IPv4 or IPv6 address")
    }
}
