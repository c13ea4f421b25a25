public import Foundation
public import X509

/// The registry's CA tree: one root and one issuing CA per domain (a region, a large ASP).
///
/// Why: device certificates come from an issuing CA whose key can be rotated or retired on its own; the root stays
/// offline-grade. Keys are labelled `root` and `issuing-<domain>` in the ``KeyStore``; certificates are kept by the
/// caller (they are public) and handed back to ``load(keyStore:root:issuing:)``.
public struct CAHierarchy: Sendable {
    /// The root CA.
    public let root: CertificateAuthority
    /// The issuing CAs by domain name.
    public let issuing: [String: CertificateAuthority]

    /// The key-store label of the root key.
    public static let rootLabel = "root"
    /// The key-store label of a domain's issuing key.
    public static func issuingLabel(domain: String) -> String { "issuing-\(domain)" }

    /// Creates the root and one issuing CA per entry of `issuing` (domain → subject) with new keys.
    public static func create(
        keyStore: any KeyStore,
        rootSubject: DistinguishedName,
        issuing: [String: DistinguishedName],
        algorithm: KeyAlgorithm = .ecdsaP256,
        now: Date = Date()
    ) throws -> CAHierarchy {
        let root = try CertificateAuthority.createRoot(
            subject: rootSubject, keyStore: keyStore, label: rootLabel, algorithm: algorithm, now: now
        )
        var issuers: [String: CertificateAuthority] = [:]
        for (domain, subject) in issuing.sorted(by: { $0.key < $1.key }) {
            issuers[domain] = try root.createIntermediate(
                subject: subject, keyStore: keyStore, label: issuingLabel(domain: domain), algorithm: algorithm,
                now: now
            )
        }
        return CAHierarchy(root: root, issuing: issuers)
    }

    /// Rebuilds the hierarchy from stored certificates and the keys in `keyStore`; checks every pairing.
    public static func load(
        keyStore: any KeyStore,
        root: Certificate,
        issuing: [String: Certificate]
    ) throws -> CAHierarchy {
        let rootCA = try CertificateAuthority(certificate: root, signer: try keyStore.signer(label: rootLabel))
        var issuers: [String: CertificateAuthority] = [:]
        for (domain, certificate) in issuing {
            guard certificate.issuer == root.subject else {
                throw PKIError.invalid("issuing CA for '\(domain)' was not issued by root '\(root.subject)'")
            }
            issuers[domain] = try CertificateAuthority(
                certificate: certificate, issuers: [root],
                signer: try keyStore.signer(label: issuingLabel(domain: domain))
            )
        }
        return CAHierarchy(root: rootCA, issuing: issuers)
    }

    /// Adds an issuing CA for a new domain (a new region or ASP) under the existing root.
    public func addingIssuer(
        domain: String,
        subject: DistinguishedName,
        keyStore: any KeyStore,
        now: Date = Date()
    ) throws -> CAHierarchy {
        guard issuing[domain] == nil else { throw PKIError(.keyExists, "an issuing CA for '\(domain)' exists already") }
        var issuers = issuing
        issuers[domain] = try root.createIntermediate(
            subject: subject, keyStore: keyStore, label: Self.issuingLabel(domain: domain), now: now
        )
        return CAHierarchy(root: root, issuing: issuers)
    }

    /// The CA (root or issuing) whose SKI is `keyIdentifier`: serves `/.well-known/ca/<AKI>.pem` and `/crl/<AKI>.crl`.
    public func authority(keyIdentifier: KeyIdentifier) -> CertificateAuthority? {
        if root.keyIdentifier == keyIdentifier { return root }
        return issuing.values.first { $0.keyIdentifier == keyIdentifier }
    }
}
