/// Where a device is in its life (DESIGN.md "Device lifecycle").
///
/// `registered → active → (transferPending → active under the new ASP) → deactivated → deleted`, with
/// `deactivated → active` (reactivation). ``DeviceLifecycle`` holds the only table of allowed moves.
public enum DeviceState: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Known to the registry under an ASP; no identity issued yet.
    case registered
    /// Holds a live profile (certificate, DNS names, payload) with its sponsoring ASP.
    case active
    /// A gaining ASP asked for the device with the owner's transfer code; the losing ASP may still object.
    case transferPending = "transfer-pending"
    /// De-provisioned: credentials revoked, payload wiped, still listed.
    case deactivated
    /// Removed from the registry; kept only as history.
    case deleted

    public var description: String { rawValue }
}

/// The events that move a device between states.
public enum DeviceEvent: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case activate, deactivate, reactivate, delete
    case requestTransfer = "request-transfer"
    case completeTransfer = "complete-transfer"
    case rejectTransfer = "reject-transfer"
    case cancelTransfer = "cancel-transfer"
    case rekey

    public var description: String { rawValue }
}
