public import Foundation

/// The owner's one-time authorisation for moving devices to another ASP (EPP's authInfo).
///
/// One code may cover one device or a whole fleet (the city hands one code to the new provider for its 1000
/// meters); each device can be transferred with it once. Only the SHA-256 of the code is stored.
public struct TransferCode: Codable, Hashable, Sendable {
    /// Lowercase hex SHA-256 of the code text.
    public var hash: String
    public var ownerID: String
    public var eids: [EID]
    public var createdAt: Date
    public var expiresAt: Date

    public init(hash: String, ownerID: String, eids: [EID], createdAt: Date, expiresAt: Date) {
        self.hash = hash
        self.ownerID = ownerID
        self.eids = eids
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// The state of one device under one transfer code.
public struct TransferCodeUse: Codable, Hashable, Sendable {
    public var codeHash: String
    public var ownerID: String
    public var eid: EID
    public var expiresAt: Date
    public var usedAt: Date?

    public init(codeHash: String, ownerID: String, eid: EID, expiresAt: Date, usedAt: Date?) {
        self.codeHash = codeHash
        self.ownerID = ownerID
        self.eid = eid
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// Whether an owner-authorised transfer completes at once or gives the losing ASP a window to object.
public enum TransferPolicy: Sendable, Hashable {
    /// Zero touch: the owner's code is authority enough; the losing ASP is told afterwards.
    case immediate
    /// The transfer waits for the losing ASP (approve/reject) and is approved by the registry when the window ends.
    case window(seconds: Int)
}
