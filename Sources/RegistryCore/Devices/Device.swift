public import Foundation

/// A device as the registry knows it: identity, tenants, state and current profile.
public struct Device: Codable, Hashable, Sendable {
    public var eid: EID
    public var iccid: ICCID
    public var ownerID: String
    public var aspID: String
    public var mnoID: String
    public var state: DeviceState
    /// The registry profile id of the live profile (nil before activation and after deactivation).
    public var rpid: Int64?
    public var model: String?
    public var serial: String?
    public var firmwareVersion: String?
    /// RFC 8520 MUD URL for the device, carried in its payload.
    public var mudURL: String?
    /// A pending transfer, while `state == .transferPending`.
    public var pendingTransfer: PendingTransfer?
    /// What the MNO last reported about the eUICC (online, active, unreachable).
    public var mnoStatus: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Optimistic-concurrency version: every write bumps it, and a write expecting an older one is refused.
    public var version: Int64

    public init(
        eid: EID, iccid: ICCID, ownerID: String, aspID: String, mnoID: String, state: DeviceState = .registered,
        rpid: Int64? = nil, model: String? = nil, serial: String? = nil, firmwareVersion: String? = nil,
        mudURL: String? = nil, pendingTransfer: PendingTransfer? = nil, mnoStatus: String? = nil,
        createdAt: Date, updatedAt: Date, version: Int64 = 1
    ) {
        self.eid = eid
        self.iccid = iccid
        self.ownerID = ownerID
        self.aspID = aspID
        self.mnoID = mnoID
        self.state = state
        self.rpid = rpid
        self.model = model
        self.serial = serial
        self.firmwareVersion = firmwareVersion
        self.mudURL = mudURL
        self.pendingTransfer = pendingTransfer
        self.mnoStatus = mnoStatus
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// A transfer waiting for the losing ASP or for its window to close.
public struct PendingTransfer: Codable, Hashable, Sendable {
    public var gainingASPID: String
    public var requestedAt: Date
    /// When the registry approves it by itself (`serverApproved`) if the losing ASP has not acted.
    public var autoApproveAt: Date

    public init(gainingASPID: String, requestedAt: Date, autoApproveAt: Date) {
        self.gainingASPID = gainingASPID
        self.requestedAt = requestedAt
        self.autoApproveAt = autoApproveAt
    }
}

/// One identity of a device with one ASP (DESIGN.md "profile"): RPIDs only grow, and only one is live.
public struct Profile: Codable, Hashable, Sendable {
    /// Whether the profile is live or superseded.
    public enum Status: String, Codable, Sendable {
        /// The device's current identity.
        case active
        /// Superseded by transfer or re-key, or ended by deactivation; its DNS names are removed.
        case revoked
    }

    public var rpid: Int64
    public var eid: EID
    public var aspID: String
    public var status: Status
    public var createdAt: Date
    public var revokedAt: Date?
    /// Why it was revoked: `transfer`, `rekey`, `deactivate`.
    public var revocationReason: String?

    public init(
        rpid: Int64, eid: EID, aspID: String, status: Status, createdAt: Date, revokedAt: Date? = nil,
        revocationReason: String? = nil
    ) {
        self.rpid = rpid
        self.eid = eid
        self.aspID = aspID
        self.status = status
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }
}
