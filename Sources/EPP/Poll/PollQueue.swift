public import Foundation
public import RegistryCore

/// Each ASP's EPP message queue (RFC 5730 §2.9.2.3), derived from data the registry keeps anyway.
///
/// There is no message table: messages are the outbox events that concern an ASP and that it did not cause
/// itself (transfer requested from it, transfer approved or rejected, a device deactivated by its owner…), and
/// an acknowledgement is an audit entry (`epp.poll.ack`, target `asp:<id>`, details `{"msgID":"<n>"}`). A
/// message's id is the outbox sequence of its event, so ids only grow and survive restarts; who caused an event
/// is read from the audit entry committed in the same transaction. The view is rebuilt incrementally from both
/// logs before each poll, so every registry node over one database shows the same queue.
public actor PollQueue {
    /// One queued message.
    public struct Message: Sendable, Hashable {
        /// The outbox sequence of the event.
        public var id: Int64
        public var queuedAt: Date
        public var text: String
        public var data: EPPResponse.ResultData?
    }

    private let registry: Registry
    private let pageSize: Int
    private var outboxCursor: Int64 = 0
    private var auditCursor: Int64 = 0
    private var queues: [String: [Message]] = [:]
    /// (asp, msgID) acknowledgements not yet matched to a queued message.
    private var acknowledged: Set<AckKey> = []
    /// Who caused an event, keyed by `eid|millis|action`, until its outbox event is read.
    private var actors: [String: String] = [:]
    private var inFlight: Task<Void, any Error>?

    private struct AckKey: Hashable {
        var asp: String
        var id: Int64
    }

    public init(registry: Registry, pageSize: Int = 1_000) {
        self.registry = registry
        self.pageSize = pageSize
    }

    /// The oldest unacknowledged message for `aspID` and how many are queued.
    public func head(for aspID: String) async throws -> (message: Message, count: Int)? {
        try await refresh()
        guard let queue = queues[aspID], let first = queue.first else { return nil }
        return (first, queue.count)
    }

    /// Acknowledges (dequeues) message `id` for `aspID`, recording the acknowledgement in the audit log.
    ///
    /// - Returns: how many messages remain.
    /// - Throws: ``RegistryError`` `notFound` when no such message is queued for this ASP.
    public func acknowledge(_ idText: String, for aspID: String) async throws -> Int {
        try await refresh()
        guard let id = Int64(idText), let index = queues[aspID]?.firstIndex(where: { $0.id == id }) else {
            throw RegistryError.notFound("no message \(idText.prefix(24)) is queued for you")
        }
        var changes = ChangeSet()
        changes.audit.append(
            AuditDraft(
                at: registry.now, actor: Principal.asp(aspID).description, action: Self.ackAction,
                target: "asp:\(aspID)", details: #"{"msgID":"\#(id)"}"#))
        try await registry.store.commit(changes)
        queues[aspID]?.remove(at: index)
        return queues[aspID]?.count ?? 0
    }

    static let ackAction = "epp.poll.ack"

    // MARK: - the derived view

    /// Brings the view up to date; refreshes run one after another, never interleaved.
    private func refresh() async throws {
        let previous = inFlight
        let task = Task {
            _ = try? await previous?.value
            try await self.catchUp()
        }
        inFlight = task
        try await task.value
    }

    private func catchUp() async throws {
        // Outbox first, then audit: an event's audit entry is committed with it, so it is always read by now.
        var events: [OutboxEvent] = []
        while true {
            let page = try await registry.store.outboxEvents(after: outboxCursor, limit: pageSize)
            events += page.filter { Self.auditAction[$0.kind] != nil }
            guard let last = page.last else { break }
            outboxCursor = last.sequence
            if page.count < pageSize { break }
        }
        while true {
            let page = try await registry.store.auditEntries(after: auditCursor, limit: pageSize)
            for entry in page {
                if entry.action == Self.ackAction, entry.target.hasPrefix("asp:"),
                    let id = Self.messageID(in: entry.details)
                {
                    acknowledged.insert(AckKey(asp: String(entry.target.dropFirst(4)), id: id))
                } else if Self.interestingActions.contains(entry.action), entry.target.hasPrefix("device:") {
                    actors[Self.key(entry.target.dropFirst(7), entry.at, entry.action)] = entry.actor
                }
            }
            guard let last = page.last else { break }
            auditCursor = last.sequence
            if page.count < pageSize { break }
        }
        for event in events { enqueue(event) }
        if !acknowledged.isEmpty {
            for key in acknowledged {
                if let index = queues[key.asp]?.firstIndex(where: { $0.id == key.id }) {
                    queues[key.asp]?.remove(at: index)
                }
            }
            acknowledged.removeAll()
        }
    }

    private func enqueue(_ event: OutboxEvent) {
        guard let eid = event.eid?.digits, let action = Self.auditAction[event.kind] else { return }
        let actor = actors.removeValue(forKey: Self.key(Substring(eid), event.at, action))
        func add(_ asp: String?, _ text: String, _ data: EPPResponse.ResultData) {
            guard let asp, actor != Principal.asp(asp).description else { return }
            queues[asp, default: []].append(Message(id: event.sequence, queuedAt: event.at, text: text, data: data))
        }
        switch event.kind {
        case .transferRequested:
            let due: Date =
                switch registry.configuration.transferPolicy {
                case .immediate: event.at
                case .window(let seconds): event.at.addingTimeInterval(TimeInterval(seconds))
                }
            let data = transfer(eid, .pending, gaining: event.aspID, losing: event.previousASPID, event.at, due)
            add(event.previousASPID, "Transfer of device \(eid) requested", data)
        case .transferCompleted:
            let status: TransferStatus =
                actor == event.previousASPID.map { Principal.asp($0).description } ? .clientApproved : .serverApproved
            let data = transfer(eid, status, gaining: event.aspID, losing: event.previousASPID, event.at, event.at)
            add(event.previousASPID, "Transfer of device \(eid) completed (\(status.rawValue))", data)
            add(event.aspID, "Transfer of device \(eid) completed (\(status.rawValue))", data)
        case .transferRejected:
            let data = transfer(
                eid, .clientRejected, gaining: event.aspID, losing: event.previousASPID, event.at, event.at)
            add(event.aspID, "Transfer of device \(eid) rejected", data)
        case .transferCancelled:
            let data = transfer(
                eid, .clientCancelled, gaining: event.aspID, losing: event.previousASPID, event.at, event.at)
            add(event.previousASPID, "Transfer of device \(eid) cancelled", data)
        default:
            let data = EPPResponse.ResultData.notification(
                .init(eid: eid, event: event.kind.rawValue, actor: actor, rpid: event.rpid))
            add(event.aspID, "Device \(eid): \(event.kind.rawValue)" + (actor.map { " by \($0)" } ?? ""), data)
        }
    }

    private func transfer(
        _ eid: String, _ status: TransferStatus, gaining: String?, losing: String?, _ requested: Date, _ acted: Date
    ) -> EPPResponse.ResultData {
        .transfer(
            .init(
                eid: eid, status: status, requestingID: gaining ?? "unknown", requestedAt: requested,
                actingID: losing ?? "unknown", actedAt: acted))
    }

    // MARK: - vocabulary

    /// The outbox kinds that make messages, with the audit action committed beside each.
    static let auditAction: [OutboxEvent.Kind: String] = [
        .transferRequested: "transfer.request", .transferCompleted: "transfer.complete",
        .transferRejected: "transfer.reject-transfer", .transferCancelled: "transfer.cancel-transfer",
        .deviceActivated: "device.activate", .deviceReactivated: "device.reactivate",
        .deviceDeactivated: "device.deactivate", .deviceRekeyed: "device.rekey", .deviceDeleted: "device.delete",
        .deviceUpdated: "device.update",
    ]
    static let interestingActions = Set(auditAction.values)

    static func key(_ eid: Substring, _ at: Date, _ action: String) -> String {
        "\(eid)|\(Int64((at.timeIntervalSince1970 * 1000).rounded()))|\(action)"
    }

    static func messageID(in details: String) -> Int64? {
        guard let data = details.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
            let text = object["msgID"]
        else { return nil }
        return Int64(text)
    }
}
