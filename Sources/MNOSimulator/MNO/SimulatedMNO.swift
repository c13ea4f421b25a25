public import Foundation
public import X509

/// A mobile operator with a fleet of simulated eSIMs, doing what a real one does for the registry: poll its task
/// queue, drive the eSIMs over their APDUs (new key pair and CSR, payload delivery, wipe), post the results.
///
/// Why it exists: `iotreg demo`, the tests and the benchmarks need "the MNO side" with nobody in the loop, over the
/// same contract a real operator uses (``MNOTaskChannel``; ``RESTMNOTaskChannel`` over HTTP).
///
/// The fleet lives in one directory, one state file per eSIM (`<eid>.iotsafe`); an MNO made on the same directory
/// later finds the same eSIMs with the same keys and payloads. Tasks are worked on concurrently (bounded by
/// ``Configuration/concurrency``), each eSIM one task at a time. A task offered again (its lease ran out before the
/// result arrived) gets the same answer: results are remembered by task id, and delivering a payload the eSIM
/// already holds succeeds again.
public actor SimulatedMNO {
    /// The registry's task queue.
    public nonisolated let channel: any MNOTaskChannel
    /// The fleet's directory.
    public nonisolated let directory: URL
    /// The registry root new eSIMs are personalised with.
    public nonisolated let registryRoot: Certificate
    public nonisolated let configuration: Configuration

    var fleet: [String: SimulatedESIM] = [:]
    var reportedOnline: Set<String> = []
    var answers: [String: MNOTaskResult] = [:]
    var acknowledged: Set<String> = []
    var working: Set<String> = []
    var stats = Stats()
    var waiters: [UUID: Waiter] = [:]
    var deliverySubscribers: [UUID: AsyncStream<String>.Continuation] = [:]
    var running = false
    /// Background batches of `online` reports still going.
    var reporting = 0
    var stopping = false
    var loop: Task<Void, Never>?
    var poll: Task<MNOTaskPage, any Error>?

    /// The most results remembered for re-offered tasks; the oldest half is dropped beyond it.
    static let answerMemory = 200_000

    /// Opens the MNO on `directory` (created if missing), loading every eSIM already personalised there.
    ///
    /// - Parameters:
    ///   - channel: the registry's MNO API.
    ///   - directory: one state file per eSIM.
    ///   - registryRoot: the root new eSIMs are personalised with (loaded eSIMs keep the root they hold).
    /// - Throws: ``MNOSimulatorError`` `stateDirectory`; `DeviceKitError` `stateFile` for an unreadable eSIM.
    public init(
        channel: any MNOTaskChannel,
        directory: URL,
        registryRoot: Certificate,
        configuration: Configuration = .init()
    ) throws {
        self.channel = channel
        self.directory = directory
        self.registryRoot = registryRoot
        self.configuration = configuration
        let names: [String]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MNOSimulatorError(.stateDirectory, "cannot open the fleet directory \(directory.path): \(error)")
        }
        for name in names where name.hasSuffix(".iotsafe") {
            let eid = String(name.dropLast(".iotsafe".count))
            guard (try? SimulatedESIM.checkEID(eid)) != nil else { continue }
            fleet[eid] = try SimulatedESIM(loading: eid, directory: directory)
        }
    }

    // MARK: - Fleet

    /// Puts eSIM `eid` on the network: personalised now, or the one already in the directory.
    ///
    /// A running MNO reports it `online` at once (in the background); otherwise ``run()`` does when it starts.
    @discardableResult
    public func addDevice(eid: String) throws -> SimulatedESIM {
        let esim = try insert(eid)
        if running { scheduleOnlineReports() }
        return esim
    }

    /// ``addDevice(eid:)`` for each EID.
    public func addDevices(_ eids: some Sequence<String>) throws {
        defer { if running { scheduleOnlineReports() } }
        for eid in eids { try insert(eid) }
    }

    @discardableResult
    private func insert(_ eid: String) throws -> SimulatedESIM {
        if let existing = fleet[eid] { return existing }
        let esim: SimulatedESIM
        if FileManager.default.fileExists(atPath: SimulatedESIM.stateFile(eid: eid, in: directory).path) {
            esim = try SimulatedESIM(loading: eid, directory: directory)
        } else {
            esim = try SimulatedESIM(personalising: eid, registryRoot: registryRoot, directory: directory)
        }
        fleet[eid] = esim
        return esim
    }

    /// The eSIM with `eid`, if it is on this network.
    public func device(_ eid: String) -> SimulatedESIM? { fleet[eid] }

    /// The EIDs of the fleet, sorted.
    public var deviceEIDs: [String] { fleet.keys.sorted() }

    /// What the MNO has done so far.
    public var currentStats: Stats { stats }

    // MARK: - Status

    /// Reports an eUICC status for `eid` now (retrying transient failures), e.g. `unreachable` in a demo.
    public func report(_ status: EUICCStatus, for eid: String) async throws {
        try await retrying { try await self.channel.reportStatus(eid: eid, status: status) }
        stats.statusReports += 1
        checkWaiters()
    }

    /// Reports `online`, in the background with bounded concurrency, every eSIM not reported yet.
    func scheduleOnlineReports() {
        guard configuration.reportOnline else { return }
        let eids = fleet.keys.filter { !reportedOnline.contains($0) }.sorted()
        guard !eids.isEmpty else { return }
        reportedOnline.formUnion(eids)
        let width = configuration.concurrency
        reporting += 1
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, eid) in eids.enumerated() {
                    if index >= width { await group.next() }
                    group.addTask { await self.reportOnline(eid) }
                }
            }
            await self.reportingDone()
        }
    }

    func reportingDone() {
        reporting -= 1
        checkWaiters()
    }

    nonisolated func reportOnline(_ eid: String) async {
        do {
            try await retrying { try await self.channel.reportStatus(eid: eid, status: .online) }
            await record { $0.statusReports += 1 }
        } catch {
            await record {
                $0.statusReportFailures += 1
                $0.lastError = "eUICC status of \(eid): \(error)"
            }
        }
    }

    // MARK: - Bookkeeping (actor-isolated, small)

    func record(_ change: (inout Stats) -> Void) {
        change(&stats)
        checkWaiters()
    }

    func remembered(_ taskID: String) -> MNOTaskResult? { answers[taskID] }

    /// True the first time the registry acknowledged an answer to `taskID`.
    func firstReceipt(_ taskID: String) -> Bool {
        if acknowledged.count >= Self.answerMemory {
            acknowledged = Set(acknowledged.dropFirst(Self.answerMemory / 2))
        }
        return acknowledged.insert(taskID).inserted
    }

    func remember(_ taskID: String, _ result: MNOTaskResult) {
        if answers.count >= Self.answerMemory {
            for key in answers.keys.prefix(Self.answerMemory / 2) { answers[key] = nil }
        }
        answers[taskID] = result
    }

    func finished(_ taskID: String) { working.remove(taskID) }

    /// Retries `operation` on `transient` errors with the configured backoff; other errors are thrown at once.
    nonisolated func retrying<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as MNOSimulatorError
                where error.code == .transient && attempt < configuration.retry.maxAttempts
            {
                await record { $0.retries += 1 }
                try await Task.sleep(for: configuration.retry.delay(beforeRetry: attempt))
                attempt += 1
            }
        }
    }
}
