import ASPKit
import Synchronization

/// What an ASP's DANE check refused, by reason, with the latest detail of each: when a step fails because meters
/// were refused, the report says why the ASP refused them, not only that the connection was closed.
final class RefusalTally: Sendable {
    struct Entry: Sendable {
        var count = 0
        var detail = ""
    }

    private let entries = Mutex<[RefusalReason: Entry]>([:])

    /// Counts every refusal `authenticator` publishes, until its event stream ends.
    init(following authenticator: DANEClientAuthenticator) {
        Task { [weak self] in
            for await event in authenticator.events {
                guard case .refused(_, let reason, let detail) = event else { continue }
                self?.add(reason, detail)
            }
        }
    }

    private func add(_ reason: RefusalReason, _ detail: String) {
        entries.withLock {
            $0[reason, default: Entry()].count += 1
            $0[reason]?.detail = detail
        }
    }

    /// The refusals so far.
    var snapshot: [RefusalReason: Entry] { entries.withLock { $0 } }

    /// The refusals since `earlier`, as "reason xN (latest detail)", most frequent first; empty when none.
    func since(_ earlier: [RefusalReason: Entry]) -> String {
        snapshot.compactMap { reason, entry -> (Int, String)? in
            let count = entry.count - (earlier[reason]?.count ?? 0)
            return count > 0 ? (count, "\(reason) x\(count) (\(entry.detail))") : nil
        }.sorted { $0.0 > $1.0 }.map(\.1).joined(separator: "; ")
    }
}
