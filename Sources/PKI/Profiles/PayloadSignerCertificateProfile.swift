public import Foundation
public import X509

/// The certificate of the key that signs Registry Payloads (COSE_Sign1, ES256), carried in the payload's x5chain
/// (RFC 9360) so a device checks the signature from the registry root it already holds.
///
/// Issued by an issuing CA under the root; KU digitalSignature (critical), CA:FALSE (critical), SKI (the COSE `kid`),
/// AKI; no EKU, as no EKU is registered for COSE payload signing. Kept shorter than the CA (default one year) so a
/// compromised payload key ages out; the registry re-issues it before expiry.
public struct PayloadSignerCertificateProfile: Sendable {
    public var publicKey: Certificate.PublicKey
    public var commonName: String
    public var validity: TimeInterval

    public init(publicKey: Certificate.PublicKey, commonName: String, validity: TimeInterval = 365 * 86_400) {
        self.publicKey = publicKey
        self.commonName = commonName
        self.validity = validity
    }

    /// Builds and signs the payload-signer certificate with `authority`.
    public func issue(by authority: CertificateAuthority, now: Date = Date()) throws -> Certificate {
        let cn = commonName
        let subject = try DistinguishedName { CommonName(cn) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier.bytes[...])
        }
        return try authority.issue(
            subject: subject, publicKey: publicKey, extensions: extensions, notBefore: now - 300,
            notAfter: min(now + validity, authority.certificate.notValidAfter))
    }
}

extension CertificateAuthority {
    /// A detached ECDSA signature (DER `ECDSA-Sig-Value`) by this CA's key over `message`.
    ///
    /// Why: the seed's on-SIM layout carries the issuing CA's signatures over the endpoint JSON and the ASP
    /// certificate, which the seed's device middleware checks; nothing else should sign arbitrary bytes with a CA key.
    public func detachedSignature(over message: [UInt8]) throws -> [UInt8] {
        try signer.sign(message)
    }
}
