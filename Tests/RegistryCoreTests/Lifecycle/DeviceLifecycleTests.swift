import RegistryCore
import Testing

@Suite("Device lifecycle table (DESIGN.md \"Device lifecycle\")")
struct DeviceLifecycleTests {
    /// The lifecycle written out from DESIGN.md, independently of the implementation's table:
    /// `registered → active → (transfer pending → active under the new ASP) → deactivated → deleted`,
    /// `deactivated → active` (reactivation); a pending transfer may also be rejected (losing ASP) or cancelled
    /// (gaining ASP), returning to active; the zero-touch (immediate) transfer completes straight from active; and an
    /// active device may be re-keyed (DESIGN.md "issue and renew certificates") without leaving active.
    static let expected: [Pair: (to: DeviceState, effect: DeviceLifecycle.ProfileEffect)] = [
        Pair(.registered, .activate): (.active, .mintNew),
        Pair(.active, .rekey): (.active, .mintNew),
        Pair(.active, .requestTransfer): (.transferPending, .none),
        Pair(.active, .completeTransfer): (.active, .mintNew),
        Pair(.transferPending, .completeTransfer): (.active, .mintNew),
        Pair(.transferPending, .rejectTransfer): (.active, .none),
        Pair(.transferPending, .cancelTransfer): (.active, .none),
        Pair(.active, .deactivate): (.deactivated, .revokeCurrent),
        Pair(.deactivated, .reactivate): (.active, .mintNew),
        Pair(.deactivated, .delete): (.deleted, .none),
    ]

    struct Pair: Hashable, CustomTestStringConvertible, Sendable {
        var state: DeviceState
        var event: DeviceEvent
        init(_ state: DeviceState, _ event: DeviceEvent) {
            self.state = state
            self.event = event
        }
        var testDescription: String { "\(state) + \(event)" }
    }

    static let allPairs: [Pair] = DeviceState.allCases.flatMap { state in
        DeviceEvent.allCases.map { Pair(state, $0) }
    }

    @Test func everyStateAndEventIsCovered() {
        #expect(DeviceState.allCases.count == 5)
        #expect(DeviceEvent.allCases.count == 9)
        #expect(Self.allPairs.count == 45)
    }

    @Test(arguments: allPairs)
    func transition(_ pair: Pair) {
        if let want = Self.expected[pair] {
            do {
                let row = try DeviceLifecycle.transition(from: pair.state, on: pair.event)
                #expect(row.from == pair.state)
                #expect(row.event == pair.event)
                #expect(row.to == want.to)
                #expect(row.profileEffect == want.effect)
            } catch {
                Issue.record("\(pair.testDescription) must be allowed, got \(error)")
            }
        } else {
            do {
                let row = try DeviceLifecycle.transition(from: pair.state, on: pair.event)
                Issue.record("\(pair.testDescription) must be refused, got a transition to \(row.to)")
            } catch let error as RegistryError {
                #expect(error.code == .invalidTransition)
                #expect(error.reason.contains(pair.state.rawValue), "reason names the state: \(error.reason)")
                #expect(error.reason.contains(pair.event.rawValue), "reason names the event: \(error.reason)")
                let allowed = Self.allowed(in: pair.state)
                if allowed.isEmpty {
                    #expect(error.reason.contains("nothing is allowed"), "\(error.reason)")
                }
                for event in allowed {
                    #expect(error.reason.contains(event.rawValue), "reason lists allowed \(event): \(error.reason)")
                }
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func tableHasNoDuplicatesAndNothingBeyondTheDesign() {
        let rows = DeviceLifecycle.transitions
        #expect(Set(rows.map { Pair($0.from, $0.event) }).count == rows.count)
        #expect(Set(rows.map { Pair($0.from, $0.event) }) == Set(Self.expected.keys))
    }

    @Test(arguments: DeviceState.allCases)
    func allowedEventsMatchTheDesign(_ state: DeviceState) {
        #expect(Set(DeviceLifecycle.allowedEvents(in: state)) == Set(Self.allowed(in: state)))
    }

    @Test func deletedIsTerminalAndDeletionNeedsDeactivationFirst() {
        #expect(DeviceLifecycle.allowedEvents(in: .deleted).isEmpty)
        for state in DeviceState.allCases where state != .deactivated {
            #expect(throws: RegistryError(.invalidTransition, "")) {
                try DeviceLifecycle.transition(from: state, on: .delete)
            }
        }
    }

    static func allowed(in state: DeviceState) -> [DeviceEvent] {
        DeviceEvent.allCases.filter { expected[Pair(state, $0)] != nil }
    }
}
