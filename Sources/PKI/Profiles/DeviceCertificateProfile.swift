public import Foundation
public import X509

/// The device client certificate (DESIGN.md "DNS names"): what the registry issues on activation.
///
/// - subject `CN=<rpid>.<eid>.<zone>` (the seed's naming; also the CERT record's owner name)
/// - SAN dNSName `<eid>._device.<zone>` (the DANE client identity, draft-ietf-dance-client-auth)
/// - EKU clientAuth; KU digitalSignature (critical); basicConstraints CA:FALSE (critical); SKI; AKI
/// - 128-bit random serial; CRL DP `<base>/crl/<AKI>.crl`; AIA OCSP `<base>/ocsp`, caIssuers
///   `<base>/.well-known/ca/<AKI>.pem`
///
/// Nothing from the CSR but its public key is used: the registry, not the device, decides the names.
public struct DeviceCertificateProfile: Sendable {
    /// The device's public key (from a validated CSR).
    public var publicKey: Certificate.PublicKey
    /// The profile id: grows by one for each activation, transfer or re-key.
    public var rpid: UInt64
    /// The device identifier (the eUICC's EID); one DNS label.
    public var eid: String
    /// The registry zone, with or without the trailing dot (`iotregistry.test.`).
    public var zone: String
    /// How long the certificate is valid; default one year.
    public var validity: TimeInterval
    /// Where CRL, OCSP and the issuer certificate are published.
    public var urls: PublicationURLs

    public init(
        publicKey: Certificate.PublicKey,
        rpid: UInt64,
        eid: String,
        zone: String,
        validity: TimeInterval = 365 * 86_400,
        urls: PublicationURLs
    ) {
        self.publicKey = publicKey
        self.rpid = rpid
        self.eid = eid
        self.zone = zone
        self.validity = validity
        self.urls = urls
    }

    /// The zone without its trailing dot, lowercased; refuses names that are not valid host names.
    var zoneName: String {
        get throws {
            var name = zone.lowercased()
            if name.hasSuffix(".") { name.removeLast() }
            try DNSNames.checkName(name, what: "zone")
            return name
        }
    }

    /// The subject common name `<rpid>.<eid>.<zone>`.
    public var commonName: String { get throws { "\(rpid).\(eid).\(try zoneName)" } }
    /// The SAN dNSName `<eid>._device.<zone>`.
    public var deviceName: String { get throws { "\(eid)._device.\(try zoneName)" } }

    /// Builds and signs the certificate with `authority` (an issuing CA), valid from `now` (minus 5 minutes' skew).
    public func issue(by authority: CertificateAuthority, now: Date = Date()) throws -> Certificate {
        try DNSNames.checkLabel(eid, what: "eid")
        guard validity > 0, validity <= 10 * 366 * 86_400 else {
            throw PKIError.invalid("device certificate validity must be between 1 second and 10 years")
        }
        let aki = authority.keyIdentifier
        let cn = try commonName
        let san = try deviceName
        let subject = try DistinguishedName { CommonName(cn) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.clientAuth])
            SubjectAlternativeNames([.dnsName(san)])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: aki.bytes[...])
            CRLDistributionPoints(uris: [urls.crlURL(aki: aki)])
            AuthorityInformationAccess([
                .init(method: .ocspServer, location: .uniformResourceIdentifier(urls.ocspURL)),
                .init(method: .issuingCA, location: .uniformResourceIdentifier(urls.caIssuersURL(aki: aki))),
            ])
        }
        let notAfter = min(now + validity, authority.certificate.notValidAfter)
        return try authority.issue(
            subject: subject, publicKey: publicKey, extensions: extensions, notBefore: now - 300, notAfter: notAfter
        )
    }
}

/// Host-name checks for the names we put into certificates (LDH labels; `_device` is ours to add).
enum DNSNames {
    static func checkLabel(_ label: String, what: String) throws {
        let utf8 = Array(label.utf8)
        let ok =
            (1...63).contains(utf8.count)
            && utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
            }
            && utf8.first != 0x2D && utf8.last != 0x2D
        guard ok else {
            throw PKIError.invalid(
                "\(what) '\(label)' is not a DNS label (1-63 of A-Z a-z 0-9 -, no leading/trailing -)")
        }
    }

    static func checkName(_ name: String, what: String) throws {
        guard !name.isEmpty, name.utf8.count <= 253 else {
            throw PKIError.invalid("\(what) '\(name)' must be 1-253 characters")
        }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            try checkLabel(String(label), what: "label of \(what) '\(name)'")
        }
    }
}
