extension SimulatedMNO {
    /// How the MNO runs: how much at once, how long it long-polls, how it retries.
    public struct Configuration: Sendable {
        /// Tasks (and status reports) worked on at once; also the largest page asked for.
        public var concurrency: Int
        /// The `wait` of `GET /v1/mno/tasks` when idle (0-5 seconds, the registry's bound).
        public var longPollSeconds: Int
        /// How transient registry failures are retried.
        public var retry: RetryPolicy
        /// Whether each eSIM's first appearance is reported as eUICC status `online`.
        public var reportOnline: Bool

        public init(
            concurrency: Int = 32, longPollSeconds: Int = 5, retry: RetryPolicy = .init(),
            reportOnline: Bool = true
        ) {
            self.concurrency = max(1, concurrency)
            self.longPollSeconds = min(max(longPollSeconds, 0), 5)
            self.retry = retry
            self.reportOnline = reportOnline
        }
    }

    /// Exponential backoff with jitter for transient failures (network errors, 5xx, 429).
    public struct RetryPolicy: Sendable {
        /// The first delay; each retry doubles it.
        public var initialDelay: Duration
        /// The longest delay.
        public var maxDelay: Duration
        /// Tries per request, the first included; polling for tasks retries without limit.
        public var maxAttempts: Int

        public init(
            initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(10), maxAttempts: Int = 6
        ) {
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.maxAttempts = max(1, maxAttempts)
        }

        /// The delay before retry number `retry` (1-based): `initialDelay · 2^(retry-1)`, capped, with ±50 % jitter
        /// so a fleet of MNO workers does not retry in lockstep.
        public func delay(beforeRetry retry: Int) -> Duration {
            var delay = initialDelay
            for _ in 1..<max(1, min(retry, 32)) where delay < maxDelay { delay *= 2 }
            delay = min(delay, maxDelay)
            return delay * Double.random(in: 0.5...1.0)
        }
    }

    /// What the MNO has done so far.
    public struct Stats: Hashable, Sendable, CustomStringConvertible {
        /// Tasks whose success the registry acknowledged, per task kind; a task offered again counts once.
        public var succeeded: [MNOTask.Kind: Int] = [:]
        /// Tasks whose failure the registry acknowledged, per task kind; a task offered again counts once.
        public var failed: [MNOTask.Kind: Int] = [:]
        /// Results the registry refused with 409 (it holds another result for the task).
        public var conflicts = 0
        /// Results that could not be posted after all retries (the task will be offered again).
        public var postFailures = 0
        /// Tasks offered again: answered from memory (same result) or skipped while still being worked on.
        public var duplicates = 0
        /// Issued certificates stored on the eSIMs.
        public var certificatesInstalled = 0
        /// eUICC status reports accepted by the registry.
        public var statusReports = 0
        /// eUICC status reports refused (e.g. 404: a device the registry does not know yet).
        public var statusReportFailures = 0
        /// Transient failures retried after a backoff.
        public var retries = 0
        /// Polls for tasks that failed.
        public var pollFailures = 0
        /// The last error that stopped or slowed the loop, without secrets.
        public var lastError: String?

        /// Results posted, success or failure.
        public var tasksDone: Int { succeeded.values.reduce(0, +) + failed.values.reduce(0, +) }
        /// Results posted with a success outcome for `kind`.
        public func succeeded(_ kind: MNOTask.Kind) -> Int { succeeded[kind] ?? 0 }
        /// Results posted with outcome `failed` for `kind`.
        public func failed(_ kind: MNOTask.Kind) -> Int { failed[kind] ?? 0 }

        public var description: String {
            func list(_ counts: [MNOTask.Kind: Int]) -> String {
                counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: " ")
            }
            return "done \(tasksDone) [ok: \(list(succeeded))] [failed: \(list(failed))] conflicts \(conflicts) "
                + "post-failures \(postFailures) duplicates \(duplicates) status \(statusReports) retries \(retries)"
        }
    }
}
