import Foundation
import GRDB
import RegistryCore
import Synchronization

/// Group commit: change sets that arrive while a transaction is being written are applied together in the next one,
/// each inside its own savepoint, and made durable by one `fsync` (`synchronous=FULL`).
///
/// Why: a durable SQLite commit costs one disk flush (about 200 a second on the CI machine's disk), so one
/// transaction per request caps the registry at the disk's flush rate however many cores it has. With group commit
/// the flush is shared by every request waiting for it. Each change set keeps its own all-or-nothing semantics: a
/// change set that fails (stale version, duplicate, revoked twice) rolls back to its savepoint and only its caller
/// gets the error; no caller returns before the transaction holding its changes has committed.
final class GroupCommit: Sendable {
    private struct Waiter: Sendable {
        let changes: ChangeSet
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Waiter] = []
        var writing = false
    }

    private let database: any DatabaseWriter
    private let apply: @Sendable (ChangeSet, Database) throws -> Void
    private let state = Mutex(State())
    /// The most change sets written in one transaction (bounds latency and the transaction's size).
    let maxBatch: Int

    init(
        database: any DatabaseWriter, maxBatch: Int = 256,
        apply: @escaping @Sendable (ChangeSet, Database) throws -> Void
    ) {
        self.database = database
        self.maxBatch = maxBatch
        self.apply = apply
    }

    func commit(_ changes: ChangeSet) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startWriter = state.withLock { state in
                state.pending.append(Waiter(changes: changes, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    /// Writes batches until nobody is waiting.
    private func drain() async {
        while true {
            let batch: [Waiter] = state.withLock { state in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let apply = self.apply
            let changeSets = batch.map(\.changes)
            let results: [Result<Void, any Error>]
            do {
                results = try await database.write { db in
                    changeSets.map { changes in
                        Result {
                            try db.inSavepoint {
                                try apply(changes, db)
                                return .commit
                            }
                        }
                    }
                }
            } catch {
                // The transaction itself failed (disk, lock): nothing of the batch was written.
                results = batch.map { _ in .failure(error) }
            }
            for (waiter, result) in zip(batch, results) { waiter.continuation.resume(with: result) }
        }
    }
}
