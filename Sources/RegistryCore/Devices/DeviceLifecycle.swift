/// The device lifecycle as one table: every allowed (state, event) pair and where it leads.
///
/// Anything not in the table is refused, and the refusal names the current state and what it allows, so a caller
/// can tell at once what to do instead. The table is the single source of truth for REST, EPP and bulk jobs.
public enum DeviceLifecycle {
    /// What a transition does to profiles, besides moving the state.
    public enum ProfileEffect: Sendable, Equatable {
        /// Nothing changes in the profiles.
        case none
        /// A new profile (new RPID) is minted; the current one, if any, is revoked.
        case mintNew
        /// The current profile is revoked and none replaces it.
        case revokeCurrent
    }

    /// One row of the table.
    public struct Transition: Sendable, Equatable {
        public let from: DeviceState
        public let event: DeviceEvent
        public let to: DeviceState
        public let profileEffect: ProfileEffect
    }

    /// The whole lifecycle. Rows are unique per (from, event).
    public static let transitions: [Transition] = [
        .init(from: .registered, event: .activate, to: .active, profileEffect: .mintNew),
        .init(from: .active, event: .rekey, to: .active, profileEffect: .mintNew),
        .init(from: .active, event: .requestTransfer, to: .transferPending, profileEffect: .none),
        .init(from: .active, event: .completeTransfer, to: .active, profileEffect: .mintNew),
        .init(from: .transferPending, event: .completeTransfer, to: .active, profileEffect: .mintNew),
        .init(from: .transferPending, event: .rejectTransfer, to: .active, profileEffect: .none),
        .init(from: .transferPending, event: .cancelTransfer, to: .active, profileEffect: .none),
        .init(from: .active, event: .deactivate, to: .deactivated, profileEffect: .revokeCurrent),
        .init(from: .deactivated, event: .reactivate, to: .active, profileEffect: .mintNew),
        .init(from: .deactivated, event: .delete, to: .deleted, profileEffect: .none),
    ]

    /// The transition for `event` in `state`.
    ///
    /// - Throws: ``RegistryError`` `invalidTransition` naming the state and the events it allows.
    public static func transition(from state: DeviceState, on event: DeviceEvent) throws -> Transition {
        if let row = transitions.first(where: { $0.from == state && $0.event == event }) { return row }
        let allowed = allowedEvents(in: state).map(\.rawValue)
        let hint = allowed.isEmpty ? "nothing is allowed in that state" : "allowed: \(allowed.joined(separator: ", "))"
        throw RegistryError(.invalidTransition, "cannot \(event) a device that is \(state); \(hint)")
    }

    /// The events `state` accepts, in table order.
    public static func allowedEvents(in state: DeviceState) -> [DeviceEvent] {
        transitions.filter { $0.from == state }.map(\.event)
    }
}
