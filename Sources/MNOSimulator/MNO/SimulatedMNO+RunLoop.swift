import DeviceKit
import Foundation
import Payload

extension SimulatedMNO {
    /// Starts ``run()`` in the background; ``stop()`` ends it.
    public func start() {
        guard loop == nil else { return }
        stopping = false
        loop = Task { await self.run() }
    }

    /// Stops polling, lets the tasks in hand finish and post their results, and returns when the loop has ended.
    public func stop() async {
        stopping = true
        poll?.cancel()
        let loop = self.loop
        await loop?.value
        self.loop = nil
        endDeliveryStreams()
    }

    /// Polls the task queue and works on tasks until ``stop()`` (or the calling task is cancelled).
    ///
    /// New eSIMs are reported `online` alongside (``addDevice(eid:)`` while running does the same). Each turn: ask for as many tasks as there are free slots, long-polling only when
    /// idle; start each task on its eSIM; when every slot is busy (or nothing new came), wait for one to finish.
    /// Failed polls are retried with backoff; 401/403 stops the loop (the token is wrong: retrying cannot help).
    public func run() async {
        guard !running else { return }
        running = true
        defer { running = false }
        scheduleOnlineReports()
        let concurrency = configuration.concurrency
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var pollFailures = 0
            while !stopping, !Task.isCancelled {
                if inFlight >= concurrency {
                    await group.next()
                    inFlight -= 1
                    continue
                }
                let page: MNOTaskPage
                do {
                    page = try await fetch(
                        limit: concurrency - inFlight,
                        wait: inFlight == 0 ? configuration.longPollSeconds : 0,
                        after: pollFailures == 0 ? nil : configuration.retry.delay(beforeRetry: pollFailures)
                    )
                    pollFailures = 0
                } catch is CancellationError {
                    continue
                } catch {
                    pollFailures += 1
                    record {
                        $0.pollFailures += 1
                        $0.lastError = "polling for tasks: \(error)"
                    }
                    if let error = error as? MNOSimulatorError, error.code == .unauthorized { break }
                    continue
                }
                var started = 0
                for task in page.items {
                    guard !working.contains(task.id) else {
                        stats.duplicates += 1
                        continue
                    }
                    working.insert(task.id)
                    group.addTask { await self.handle(task) }
                    inFlight += 1
                    started += 1
                }
                if started == 0, inFlight > 0 {
                    await group.next()
                    inFlight -= 1
                }
            }
            await group.waitForAll()
        }
        checkWaiters()
    }

    /// One poll, in its own task so ``stop()`` can cancel a long poll; `after` is a backoff slept first.
    private func fetch(limit: Int, wait: Int, after backoff: Duration?) async throws -> MNOTaskPage {
        let channel = self.channel
        let task = Task<MNOTaskPage, any Error> {
            if let backoff { try await Task.sleep(for: backoff) }
            return try await channel.fetchTasks(limit: limit, wait: wait)
        }
        poll = task
        defer { poll = nil }
        if stopping { task.cancel() }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Works on one task and posts its result (the remembered one when the task is offered again).
    nonisolated func handle(_ task: MNOTask) async {
        await answer(task)
        await finished(task.id)
    }

    private nonisolated func answer(_ task: MNOTask) async {
        let result: MNOTaskResult
        if let earlier = await remembered(task.id) {
            await record { $0.duplicates += 1 }
            result = earlier
        } else {
            result = await perform(task)
            await remember(task.id, result)
        }
        let receipt: MNOTaskReceipt
        do {
            receipt = try await retrying { try await self.channel.postResult(taskID: task.id, result) }
        } catch let error as MNOSimulatorError where error.code == .conflict {
            await record {
                $0.conflicts += 1
                $0.lastError = "task \(task.id): \(error.reason)"
            }
            return
        } catch {
            await record {
                $0.postFailures += 1
                $0.lastError = "task \(task.id): \(error)"
            }
            return
        }
        if case .csr = result, let pem = receipt.certificate, let esim = await device(task.eid) {
            do {
                try await esim.install(certificatePEM: pem)
                await record { $0.certificatesInstalled += 1 }
            } catch {
                await record { $0.lastError = "certificate for \(task.eid): \(error)" }
            }
        }
        // A task offered again (its lease ran out while the answer was on its way) counts once, when first received.
        guard await firstReceipt(task.id) else { return }
        await record {
            if case .failed = result {
                $0.failed[task.kind, default: 0] += 1
            } else {
                $0.succeeded[task.kind, default: 0] += 1
            }
        }
        if case .delivered = result { await announceDelivery(task.eid) }
    }

    /// Does `task` on its eSIM and returns the result to post, without posting it.
    ///
    /// - `generate-key`: a new key in the unused signature container, its CSR and the key-agreement key.
    /// - `deliver-payload`: when the eSIM already holds the task's sequence, `delivered` at once; otherwise the
    ///   current payload is fetched and delivered; a refusal is `failed` with the eSIM's reason, not retried.
    /// - `wipe`: the payload and certificates erased.
    /// - an EID not in the fleet: `failed`, "device not on this network", not retried.
    public nonisolated func perform(_ task: MNOTask) async -> MNOTaskResult {
        guard let esim = await device(task.eid) else {
            return .failed(reason: "device not on this network", retry: false)
        }
        switch task.kind {
        case .generateKey:
            do {
                let request = try await esim.makeKeyAndCSR()
                return .csr(pem: request.csrPEM, keyAgreementPublicKey: request.keyAgreementPublicKey)
            } catch {
                return .failed(
                    reason: "the eSIM could not make a key pair and CSR: \(Self.describe(error))", retry: true)
            }
        case .deliverPayload:
            if let sequence = task.payloadSequence, (try? await esim.payloadSequence()) == sequence {
                return .delivered(payloadSequence: sequence)
            }
            let bytes: [UInt8]
            do {
                bytes = try await retrying { try await self.channel.fetchPayload(eid: task.eid) }
            } catch {
                return .failed(
                    reason: "cannot fetch the payload from the registry: \(Self.describe(error))", retry: true)
            }
            do {
                let delivery = try await esim.deliver(payload: bytes)
                return .delivered(payloadSequence: delivery.payload.sequence)
            } catch let error as DeviceKitError where error.code == .stateFile || error.code == .statusWord {
                return .failed(reason: "the eSIM could not store the payload: \(Self.describe(error))", retry: true)
            } catch {
                return .failed(reason: "the eSIM refused the payload: \(Self.describe(error))", retry: false)
            }
        case .wipe:
            do {
                try await esim.wipe()
                return .wiped
            } catch {
                return .failed(reason: "the eSIM could not be wiped: \(Self.describe(error))", retry: true)
            }
        default:
            return .failed(reason: "task kind '\(task.kind)' is not supported by this MNO", retry: false)
        }
    }

    /// An error as a reason for the registry: the code and the reason, no type noise.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as DeviceKitError: "\(error.code): \(error.reason)"
        case let error as MNOSimulatorError: "\(error.code): \(error.reason)"
        default: "\(error)"
        }
    }
}
