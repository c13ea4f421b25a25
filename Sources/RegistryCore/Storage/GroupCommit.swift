import Synchronization

/// Group commit: change sets that arrive while a transaction is being written are written together in the next one,
/// each inside its own savepoint, and made durable by one disk flush.
///
/// Why: a durable commit costs one flush of the database's log (a few milliseconds on the CI machine's disk), so one
/// transaction per request caps a store at the disk's flush rate however many cores it has; over PostgreSQL every
/// transaction also holds the audit chain's head until its flush, so concurrent requests queue for it anyway. With
/// group commit the flush, and the wait, is shared by every request in the batch. Each change set keeps its own
/// all-or-nothing semantics: one that fails (stale version, duplicate, revoked twice) rolls back to its savepoint
/// and only its caller gets the error; no caller returns before the transaction holding its changes has committed.
///
/// The store supplies `write`: one transaction that applies each change set in a savepoint and returns one result
/// per change set, in order (every one a failure when the transaction itself fails).
public final class GroupCommit: Sendable {
    private struct Waiter: Sendable {
        let changes: ChangeSet
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Waiter] = []
        var writing = false
    }

    private let write: @Sendable ([ChangeSet]) async -> [Result<Void, any Error>]
    private let state = Mutex(State())
    /// The most change sets written in one transaction (bounds latency and the transaction's size).
    public let maxBatch: Int

    public init(maxBatch: Int = 256, write: @escaping @Sendable ([ChangeSet]) async -> [Result<Void, any Error>]) {
        self.maxBatch = max(1, maxBatch)
        self.write = write
    }

    /// Returns once `changes` are durably committed, or throws the error that rolled them back.
    public func commit(_ changes: ChangeSet) async throws {
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
            let results = await write(batch.map(\.changes))
            precondition(results.count == batch.count, "a store's group commit must answer every change set")
            for (waiter, result) in zip(batch, results) { waiter.continuation.resume(with: result) }
        }
    }
}
