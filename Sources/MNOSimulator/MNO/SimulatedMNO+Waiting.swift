import Foundation

extension SimulatedMNO {
    struct Waiter {
        var predicate: @Sendable (Stats) -> Bool
        var continuation: CheckedContinuation<Stats, any Error>
        var timer: Task<Void, Never>?
    }

    /// Waits until `predicate` holds for the MNO's ``Stats`` (checked after every change), e.g. "1,000 payloads
    /// delivered", and returns those stats.
    ///
    /// - Parameter timeout: a bound so a test or demo never hangs; not a performance assertion.
    /// - Throws: ``MNOSimulatorError`` `timedOut`, carrying the stats reached, when `timeout` passes first.
    public func until(timeout: Duration = .seconds(600), _ predicate: @escaping @Sendable (Stats) -> Bool)
        async throws -> Stats
    {
        if predicate(stats) { return stats }
        let id = UUID()
        return try await withCheckedThrowingContinuation { continuation in
            let timer = Task { [weak self] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                await self?.expire(id)
            }
            waiters[id] = Waiter(predicate: predicate, continuation: continuation, timer: timer)
        }
    }

    /// Waits until `count` more results have been posted (success or failure) than when called.
    public func waitForTasks(_ count: Int, timeout: Duration = .seconds(600)) async throws -> Stats {
        let target = stats.tasksDone + count
        return try await until(timeout: timeout) { $0.tasksDone >= target }
    }

    func checkWaiters() {
        guard !waiters.isEmpty else { return }
        for (id, waiter) in waiters where waiter.predicate(stats) {
            waiters[id] = nil
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: stats)
        }
    }

    private func expire(_ id: UUID) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(
            throwing: MNOSimulatorError(.timedOut, "the awaited condition did not hold in time; reached: \(stats)")
        )
    }
}
