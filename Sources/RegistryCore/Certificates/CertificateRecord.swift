import Crypto
public import Foundation

/// A device certificate the registry issued, as the store keeps it: the DER plus what revocation needs.
///
/// Why a record of its own: CRLs, OCSP and `GET /v1/devices/{eid}/certificate` are answered from these rows, and
/// revocation is written in the same transaction as the lifecycle change that causes it.
public struct CertificateRecord: Codable, Hashable, Sendable {
    /// Whether the certificate still stands (the words of OCSP, RFC 6960 §2.2).
    public enum Status: String, Codable, Sendable {
        /// Issued and not revoked (it may have expired: expiry is read from ``notAfter``).
        case good
        /// Revoked; ``revokedAt`` and ``reason`` say when and why.
        case revoked
    }

    /// The serial number, lowercase hex without leading zero bytes (as `openssl x509 -serial` prints it, lowered).
    public var serial: String
    public var eid: EID
    /// The profile the certificate names (`CN=<rpid>.<eid>.<zone>`).
    public var rpid: Int64
    /// The issuing CA's key identifier (the certificate's AKI), lowercase hex.
    public var issuerKeyID: String
    /// SHA-256 of the certificate's SubjectPublicKeyInfo, lowercase hex: the data of the device's TLSA `3 1 1`.
    public var spkiSHA256: String
    /// The certificate, DER.
    public var der: [UInt8]
    public var notBefore: Date
    public var notAfter: Date
    public var status: Status
    public var revokedAt: Date?
    /// RFC 5280 CRLReason code when revoked.
    public var reason: Int?

    public init(
        serial: String, eid: EID, rpid: Int64, issuerKeyID: String, spkiSHA256: String, der: [UInt8],
        notBefore: Date, notAfter: Date, status: Status = .good, revokedAt: Date? = nil, reason: Int? = nil
    ) {
        self.serial = serial
        self.eid = eid
        self.rpid = rpid
        self.issuerKeyID = issuerKeyID
        self.spkiSHA256 = spkiSHA256
        self.der = der
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.status = status
        self.revokedAt = revokedAt
        self.reason = reason
    }
}

extension CertificateRecord {
    /// SHA-256 of the DER certificate, lowercase hex (what `openssl x509 -fingerprint -sha256` shows, unformatted).
    public var sha256: String { SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined() }
}

/// Marks an issued certificate revoked; applied only to a certificate that is still `good` (else the commit fails
/// with `conflict` and writes nothing).
public struct CertificateRevocation: Hashable, Sendable {
    public var serial: String
    public var revokedAt: Date
    /// RFC 5280 CRLReason code.
    public var reason: Int

    public init(serial: String, revokedAt: Date, reason: Int) {
        self.serial = serial
        self.revokedAt = revokedAt
        self.reason = reason
    }
}
