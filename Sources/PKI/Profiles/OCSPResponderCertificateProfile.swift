public import Foundation
import SwiftASN1
public import X509

/// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2): lets a separate, short-lived key sign OCSP answers so
/// the issuing CA's key can stay in the HSM and be used rarely.
///
/// EKU id-kp-OCSPSigning, KU digitalSignature (critical), CA:FALSE (critical), id-pkix-ocsp-nocheck (§4.2.2.2.1:
/// clients need not check this certificate's own revocation, so keep it short: default 30 days), SKI, AKI.
public struct OCSPResponderCertificateProfile: Sendable {
    public var publicKey: Certificate.PublicKey
    public var commonName: String
    public var validity: TimeInterval

    public init(publicKey: Certificate.PublicKey, commonName: String, validity: TimeInterval = 30 * 86_400) {
        self.publicKey = publicKey
        self.commonName = commonName
        self.validity = validity
    }

    static let ocspNoCheck: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]

    /// Builds and signs the responder certificate with `authority` (the CA whose certificates it answers for).
    public func issue(by authority: CertificateAuthority, now: Date = Date()) throws -> Certificate {
        let cn = commonName
        let subject = try DistinguishedName { CommonName(cn) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.ocspSigning])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier.bytes[...])
            Certificate.Extension(oid: Self.ocspNoCheck, critical: false, value: [0x05, 0x00])
        }
        return try authority.issue(
            subject: subject, publicKey: publicKey, extensions: extensions, notBefore: now - 300,
            notAfter: min(now + validity, authority.certificate.notValidAfter)
        )
    }
}

/// A delegated responder: its certificate (from ``OCSPResponderCertificateProfile``) and its key.
public struct OCSPDelegate: Sendable {
    public let certificate: Certificate
    let signer: any KeyStoreSigner

    /// Pairs the certificate with its key; refuses a mismatched key or a certificate without id-kp-OCSPSigning.
    public init(certificate: Certificate, signer: any KeyStoreSigner) throws {
        guard signer.publicKey == certificate.publicKey else {
            throw PKIError(
                .mismatchedKey, "key '\(signer.label)' is not the key of OCSP responder '\(certificate.subject)'")
        }
        guard let eku = try? certificate.extensions.extendedKeyUsage, eku.contains(.ocspSigning) else {
            throw PKIError.invalid(
                "certificate '\(certificate.subject)' lacks EKU id-kp-OCSPSigning; issue it with OCSPResponderCertificateProfile"
            )
        }
        self.certificate = certificate
        self.signer = signer
    }
}
