public import Foundation

/// A fact about a change, written in the same transaction as the change (transactional outbox).
///
/// The DNS publisher, the certificate authority, the payload builder and the notifiers consume these in order;
/// because they are committed with the change, none is ever lost or invented by a crash.
public struct OutboxEvent: Codable, Hashable, Sendable {
    /// Assigned by the store; strictly increasing.
    public var sequence: Int64
    public var at: Date
    public var kind: Kind
    public var eid: EID?
    /// The ASP the event concerns (sponsor, or gaining ASP for transfers).
    public var aspID: String?
    /// The profile the event created or revoked, as relevant.
    public var rpid: Int64?
    public var previousRPID: Int64?
    public var previousASPID: String?
    /// The certificate serial (lowercase hex) for certificate events.
    public var serial: String?

    /// What happened. Open set: consumers ignore kinds they do not know.
    public struct Kind: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let deviceRegistered = Kind(rawValue: "device.registered")
        public static let deviceUpdated = Kind(rawValue: "device.updated")
        public static let deviceActivated = Kind(rawValue: "device.activated")
        public static let deviceRekeyed = Kind(rawValue: "device.rekeyed")
        public static let deviceDeactivated = Kind(rawValue: "device.deactivated")
        public static let deviceReactivated = Kind(rawValue: "device.reactivated")
        public static let deviceDeleted = Kind(rawValue: "device.deleted")
        public static let transferRequested = Kind(rawValue: "transfer.requested")
        public static let transferCompleted = Kind(rawValue: "transfer.completed")
        public static let transferRejected = Kind(rawValue: "transfer.rejected")
        public static let transferCancelled = Kind(rawValue: "transfer.cancelled")
        public static let certificateIssued = Kind(rawValue: "certificate.issued")
        public static let certificateRevoked = Kind(rawValue: "certificate.revoked")
        /// A signed payload was recorded and a delivery task queued for the device's MNO.
        public static let payloadBuilt = Kind(rawValue: "payload.built")
        /// The eSIM accepted the payload: the device knows its ASP (the ASP is told "activated").
        public static let payloadDelivered = Kind(rawValue: "payload.delivered")
        /// The MNO wiped the payload from the eSIM after deactivation.
        public static let payloadWiped = Kind(rawValue: "payload.wiped")
        /// An MNO task failed for good; the device needs attention.
        public static let taskFailed = Kind(rawValue: "task.failed")
    }

    public init(
        sequence: Int64 = 0, at: Date, kind: Kind, eid: EID?, aspID: String? = nil, rpid: Int64? = nil,
        previousRPID: Int64? = nil, previousASPID: String? = nil, serial: String? = nil
    ) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.eid = eid
        self.aspID = aspID
        self.rpid = rpid
        self.previousRPID = previousRPID
        self.previousASPID = previousASPID
        self.serial = serial
    }
}
