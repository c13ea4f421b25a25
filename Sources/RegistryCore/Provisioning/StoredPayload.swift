public import Foundation

/// A signed Registry Payload as the registry keeps it: opaque COSE bytes the payload builder made for one
/// certificate of one device. The core never looks inside; it orders them by ``sequence`` (strictly increasing per
/// device, the device's anti-rollback counter) and hands the newest to the device's MNO.
public struct StoredPayload: Codable, Hashable, Sendable {
    public var eid: EID
    public var sequence: Int64
    /// The serial of the device certificate the payload carries.
    public var certificateSerial: String
    /// The ASP the payload points the device at.
    public var aspID: String
    /// The tagged COSE_Sign1 bytes.
    public var bytes: [UInt8]
    public var createdAt: Date
    public var notAfter: Date

    public init(
        eid: EID, sequence: Int64, certificateSerial: String, aspID: String, bytes: [UInt8], createdAt: Date,
        notAfter: Date
    ) {
        self.eid = eid
        self.sequence = sequence
        self.certificateSerial = certificateSerial
        self.aspID = aspID
        self.bytes = bytes
        self.createdAt = createdAt
        self.notAfter = notAfter
    }
}

/// The eSIM's key-agreement public key as its MNO reported it with a CSR: what sealed payload secrets (Wi-Fi
/// credentials) are encrypted to, so that only that eSIM opens them.
public struct ESIMKeyAgreementKey: Codable, Hashable, Sendable {
    public var eid: EID
    /// 65-byte uncompressed P-256 point (X9.63).
    public var publicKey: [UInt8]
    public var reportedAt: Date

    public init(eid: EID, publicKey: [UInt8], reportedAt: Date) {
        self.eid = eid
        self.publicKey = publicKey
        self.reportedAt = reportedAt
    }
}

/// The eUICC states an MNO reports for a device on its network.
public enum EUICCStatus: String, Codable, Hashable, Sendable, CaseIterable {
    case online, active, unreachable
}
