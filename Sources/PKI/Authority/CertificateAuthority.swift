import Crypto
public import Foundation
public import X509

/// One CA: its certificate, the chain above it, and a handle on its key in a ``KeyStore``.
///
/// Why a value: the registry keeps CA certificates in its own storage and the keys in a key store; it rebuilds a
/// `CertificateAuthority` at start-up with ``init(certificate:issuers:signer:)``, which checks that key and
/// certificate belong together. All issuing (device, server, CRL, OCSP) goes through the CA so the issuer name,
/// AKI and signature algorithm are always the CA's own.
public struct CertificateAuthority: Sendable {
    /// The CA's own certificate.
    public let certificate: Certificate
    /// The certificates above this CA, nearest first, ending with the root (empty for a root).
    public let issuers: [Certificate]
    let signer: any KeyStoreSigner

    /// Pairs a CA certificate with its key; refuses a key that is not the certificate's or a non-CA certificate.
    public init(certificate: Certificate, issuers: [Certificate] = [], signer: any KeyStoreSigner) throws {
        guard signer.publicKey == certificate.publicKey else {
            throw PKIError(
                .mismatchedKey,
                "key '\(signer.label)' is not the key of CA '\(certificate.subject)'; load the key it was created with"
            )
        }
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
            throw PKIError.invalid(
                "certificate '\(certificate.subject)' is not a CA (basicConstraints CA:TRUE missing)")
        }
        self.certificate = certificate
        self.issuers = issuers
        self.signer = signer
        if let ski = try? certificate.extensions.subjectKeyIdentifier {
            keyIdentifier = KeyIdentifier(bytes: Array(ski.keyIdentifier))
        } else {
            keyIdentifier = KeyIdentifier(publicKey: certificate.publicKey)
        }
    }

    /// The CA's subject key identifier: the AKI of everything it issues, the `<AKI>` of its URLs.
    public let keyIdentifier: KeyIdentifier

    /// This CA and the CAs above it, this CA first: what a TLS peer or `openssl verify -untrusted` needs.
    public var chain: [Certificate] { [certificate] + issuers }

    /// The root at the top of the chain (this CA when it is the root).
    public var root: Certificate { issuers.last ?? certificate }

    /// Creates a self-signed root CA with a new key under `label` (default ECDSA P-256, 20 years).
    ///
    /// basicConstraints CA:TRUE (critical, no path length), keyUsage keyCertSign + cRLSign (critical), SKI, AKI.
    public static func createRoot(
        subject: DistinguishedName,
        keyStore: any KeyStore,
        label: String,
        algorithm: KeyAlgorithm = .ecdsaP256,
        validity: TimeInterval = 20 * 365.25 * 86_400,
        now: Date = Date()
    ) throws -> CertificateAuthority {
        let signer = try keyStore.generateKey(label: label, algorithm: algorithm)
        let ski = KeyIdentifier(publicKey: signer.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(keyIdentifier: ski.bytes[...])
            AuthorityKeyIdentifier(keyIdentifier: ski.bytes[...])
        }
        let certificate = try sign(
            subject: subject, issuer: subject, publicKey: signer.publicKey, extensions: extensions,
            notBefore: now - 300, notAfter: now + validity, signer: signer
        )
        return try CertificateAuthority(certificate: certificate, issuers: [], signer: signer)
    }

    /// Creates an issuing CA under this one with a new key under `label` (default 10 years, pathLen 0).
    ///
    /// Several may exist, one per domain (a region, a large ASP), so one can be retired without touching the others.
    public func createIntermediate(
        subject: DistinguishedName,
        keyStore: any KeyStore,
        label: String,
        algorithm: KeyAlgorithm = .ecdsaP256,
        validity: TimeInterval = 10 * 365.25 * 86_400,
        now: Date = Date()
    ) throws -> CertificateAuthority {
        let signer = try keyStore.generateKey(label: label, algorithm: algorithm)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(keyIdentifier: KeyIdentifier(publicKey: signer.publicKey).bytes[...])
            AuthorityKeyIdentifier(keyIdentifier: keyIdentifier.bytes[...])
        }
        let notAfter = min(now + validity, certificate.notValidAfter)
        let certificate = try issue(
            subject: subject, publicKey: signer.publicKey, extensions: extensions, notBefore: now - 300,
            notAfter: notAfter
        )
        return try CertificateAuthority(certificate: certificate, issuers: chain, signer: signer)
    }

    /// Signs a certificate for `publicKey` with this CA's key; the profiles call this.
    public func issue(
        subject: DistinguishedName,
        publicKey: Certificate.PublicKey,
        extensions: Certificate.Extensions,
        notBefore: Date,
        notAfter: Date,
        serialNumber: Certificate.SerialNumber = .random128()
    ) throws -> Certificate {
        try Self.sign(
            subject: subject, issuer: certificate.subject, publicKey: publicKey, extensions: extensions,
            notBefore: notBefore, notAfter: notAfter, signer: signer, serialNumber: serialNumber
        )
    }

    private static func sign(
        subject: DistinguishedName,
        issuer: DistinguishedName,
        publicKey: Certificate.PublicKey,
        extensions: Certificate.Extensions,
        notBefore: Date,
        notAfter: Date,
        signer: any KeyStoreSigner,
        serialNumber: Certificate.SerialNumber = .random128()
    ) throws -> Certificate {
        guard notBefore < notAfter else {
            throw PKIError.invalid("notBefore \(notBefore) is not before notAfter \(notAfter)")
        }
        do {
            return try Certificate(
                version: .v3, serialNumber: serialNumber, publicKey: publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: issuer, subject: subject,
                signatureAlgorithm: signer.algorithm.signatureAlgorithm, extensions: extensions,
                issuerPrivateKey: signer.certificatePrivateKey
            )
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.signingFailed, "could not build or sign the certificate for '\(subject)': \(error)")
        }
    }

    /// Signs raw bytes (a CRL's or OCSP response's to-be-signed part) with the CA key: DER ECDSA-Sig-Value.
    func signTBS(_ bytes: [UInt8]) throws -> [UInt8] { try signer.sign(bytes) }
    var signatureAlgorithm: Certificate.SignatureAlgorithm { signer.algorithm.signatureAlgorithm }
}

extension Certificate.SerialNumber {
    /// A random positive 128-bit serial (CA/B BR ask ≥ 64 bits of entropy; RFC 5280 allows up to 20 octets).
    public static func random128() -> Certificate.SerialNumber {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &rng) }
        if bytes[0] == 0 { bytes[0] = 1 }  // keep the full 16 octets so the length never leaks entropy
        // A leading 0x00 keeps it positive when the top bit is set (the init normalises to DER INTEGER form).
        return Certificate.SerialNumber(bytes: [0] + bytes)
    }
}
