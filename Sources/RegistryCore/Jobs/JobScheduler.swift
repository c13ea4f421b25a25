public import Foundation
public import Logging

/// Runs submitted jobs one after another in the background, and resumes unfinished ones at start-up.
///
/// One job at a time keeps a bulk job from starving interactive requests of the single SQLite writer; items inside
/// a job are already batched.
public actor JobScheduler {
    private let registry: Registry
    private var queue: [String] = []
    private var running = false
    /// The job being worked on now.
    private var current: String?
    private let logger: Logger

    public init(registry: Registry, logger: Logger = Logger(label: "iotreg.jobs")) {
        self.registry = registry
        self.logger = logger
    }

    /// Queues a job and starts the worker if it is idle.
    public func enqueue(_ id: String) {
        queue.append(id)
        startIfIdle()
    }

    /// Queues every job a previous process left unfinished.
    public func resumeUnfinished() async throws {
        for job in try await registry.store.unfinishedJobs() where !queue.contains(job.id) {
            logger.info("resuming job", metadata: ["job": "\(job.id)", "processed": "\(job.processed)/\(job.total)"])
            queue.append(job.id)
        }
        startIfIdle()
    }

    /// Queues every unfinished job that nobody has advanced for `stall`: with several nodes over one database, a
    /// job whose node died mid-way is finished by another. Runners that overlap (a slow node, not a dead one) are
    /// harmless, only wasteful: items are claimed batch by batch and a batch another runner committed is refused.
    ///
    /// - Returns: the jobs adopted.
    @discardableResult
    public func adoptStalled(after stall: TimeInterval, now: Date = Date()) async throws -> [String] {
        var adopted: [String] = []
        for job in try await registry.store.unfinishedJobs()
        where now.timeIntervalSince(job.updatedAt) >= stall && job.id != current && !queue.contains(job.id) {
            logger.info(
                "adopting a stalled job", metadata: ["job": "\(job.id)", "processed": "\(job.processed)/\(job.total)"])
            queue.append(job.id)
            adopted.append(job.id)
        }
        startIfIdle()
        return adopted
    }

    /// Waits until the queue is empty (tests, `iotreg device import`).
    public func drain() async {
        while running || !queue.isEmpty { try? await Task.sleep(for: .milliseconds(20)) }
    }

    private func startIfIdle() {
        guard !running, !queue.isEmpty else { return }
        running = true
        Task { await self.work() }
    }

    private func work() async {
        while !queue.isEmpty {
            let id = queue.removeFirst()
            current = id
            defer { current = nil }
            do {
                try await registry.runJob(id: id)
            } catch {
                logger.error(
                    "job failed; it is taken up again once it has stalled (adoptStalled) or at the next start",
                    metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
        running = false
    }
}
