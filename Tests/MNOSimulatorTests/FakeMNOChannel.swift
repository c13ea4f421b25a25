import Crypto
import Foundation
import MNOSimulator
import SwiftASN1
import X509

/// The registry's MNO API in memory, behaving per the contract: tasks are leased when handed out, a result is
/// recorded once (the same one again is answered the same way, another one is a 409), an unknown task is a 404.
///
/// With `autoDeliver`, a CSR result gets a certificate and queues the payload delivery, as the registry's flow does.
actor FakeMNOChannel: MNOTaskChannel {
    struct Device {
        var certificate: Certificate?
        var keyAgreementKey: P256.KeyAgreement.PublicKey?
        var sequence: UInt64 = 0
        var payload: [UInt8]?
        var deliveredSequence: UInt64?
        var asp = "mqtt.parkoserv.test"
    }

    let registry: TestRegistry
    var tasks: [String: MNOTask] = [:]
    var offerQueue: [String] = []
    var results: [String: MNOTaskResult] = [:]
    var resultPosts: [String: Int] = [:]
    var certificates: [String: String] = [:]
    var devices: [String: Device] = [:]
    var statuses: [String: [EUICCStatus]] = [:]
    var payloadOverride: [String: [UInt8]] = [:]
    var reofferedOnce: Set<String> = []
    var reofferAt: [String: ContinuousClock.Instant] = [:]
    var leases: [String: ContinuousClock.Instant] = [:]
    /// How long a handed-out task is leased before it is offered again when no result came.
    var lease: Duration = .seconds(5)
    var nextID = 0

    /// After a CSR: issue the certificate, build and sign payload sequence n+1, queue its delivery.
    var autoDeliver = true
    /// Offer every task once more after its result arrived (a lease that ran out while the result was in transit).
    var reofferAfterResult = false
    /// The next N calls fail as a 503 would.
    var transientFailures = 0
    /// Every poll is refused as a revoked token would be (401).
    var revoked = false

    init(registry: TestRegistry) {
        self.registry = registry
    }

    func set(
        autoDeliver: Bool? = nil, reofferAfterResult: Bool? = nil, transientFailures: Int? = nil, revoked: Bool? = nil
    ) {
        if let revoked { self.revoked = revoked }
        if let autoDeliver { self.autoDeliver = autoDeliver }
        if let reofferAfterResult { self.reofferAfterResult = reofferAfterResult }
        if let transientFailures { self.transientFailures = transientFailures }
    }

    func override(payload: [UInt8], for eid: String) { payloadOverride[eid] = payload }

    @discardableResult
    func enqueue(_ kind: MNOTask.Kind, eid: String, payloadSequence: UInt64? = nil) -> MNOTask {
        nextID += 1
        let task = MNOTask(id: "t\(nextID)", kind: kind, eid: eid, payloadSequence: payloadSequence)
        tasks[task.id] = task
        offerQueue.append(task.id)
        return task
    }

    /// Makes a new payload for `eid` (sequence n+1, for its current certificate) and queues its delivery.
    @discardableResult
    func issuePayload(for eid: String, asp: String? = nil) throws -> MNOTask {
        var device = devices[eid] ?? Device()
        guard let certificate = device.certificate else { throw MNOSimulatorError(.notFound, "no certificate") }
        device.sequence += 1
        if let asp { device.asp = asp }
        device.payload = try registry.signedPayload(
            eid: eid, sequence: device.sequence, deviceCertificate: certificate,
            keyAgreementKey: device.keyAgreementKey, asp: device.asp)
        devices[eid] = device
        return enqueue(.deliverPayload, eid: eid, payloadSequence: device.sequence)
    }

    func result(_ taskID: String) -> MNOTaskResult? { results[taskID] }
    func device(_ eid: String) -> Device? { devices[eid] }
    func status(_ eid: String) -> [EUICCStatus] { statuses[eid] ?? [] }
    func pendingCount() -> Int { offerQueue.count }

    private func injectedFailure() throws {
        if transientFailures > 0 {
            transientFailures -= 1
            throw MNOSimulatorError(.transient, "HTTP 503: injected", httpStatus: 503)
        }
    }

    /// Offers again the tasks whose lease ran out without a result, and the planned repeats that are due.
    private func releaseDueOffers() {
        let now = ContinuousClock.now
        for (id, due) in reofferAt where due <= now {
            reofferAt[id] = nil
            offerQueue.append(id)
        }
        for (id, due) in leases where due <= now && results[id] == nil {
            leases[id] = nil
            offerQueue.append(id)
        }
    }

    // MARK: - MNOTaskChannel

    func fetchTasks(limit: Int, wait: Int) async throws -> MNOTaskPage {
        try injectedFailure()
        if revoked { throw MNOSimulatorError(.unauthorized, "HTTP 401: unknown MNO token", httpStatus: 401) }
        let deadline = ContinuousClock.now + .seconds(wait)
        releaseDueOffers()
        while offerQueue.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
            releaseDueOffers()
        }
        let ids = offerQueue.prefix(max(1, limit))
        offerQueue.removeFirst(ids.count)
        let items = ids.compactMap { id -> MNOTask? in
            guard var task = tasks[id] else { return nil }
            if task.state == .inFlight || results[id] != nil { task.attempt += 1 }
            if results[id] == nil {
                task.state = .inFlight
                leases[id] = ContinuousClock.now + lease
            }
            tasks[id] = task
            return task
        }
        return MNOTaskPage(items: items, next: offerQueue.isEmpty ? nil : "more")
    }

    func postResult(taskID: String, _ result: MNOTaskResult) async throws -> MNOTaskReceipt {
        try injectedFailure()
        guard var task = tasks[taskID] else {
            throw MNOSimulatorError(.notFound, "HTTP 404: no task \(taskID) for this MNO", httpStatus: 404)
        }
        resultPosts[taskID, default: 0] += 1
        if let earlier = results[taskID] {
            guard earlier == result else {
                throw MNOSimulatorError(
                    .conflict, "HTTP 409: task \(taskID) already has another result", httpStatus: 409)
            }
            return MNOTaskReceipt(task: task, certificate: certificates[taskID])
        }
        var certificatePEM: String?
        switch result {
        case .csr(let pem, let keyAgreement):
            let certificate = try registry.issue(csrPEM: pem, eid: task.eid)
            var device = devices[task.eid] ?? Device()
            device.certificate = certificate
            device.keyAgreementKey = try P256.KeyAgreement.PublicKey(x963Representation: keyAgreement)
            devices[task.eid] = device
            certificatePEM = try certificate.serializeAsPEM().pemString
            certificates[taskID] = certificatePEM
            task.state = .succeeded
            if autoDeliver { try issuePayload(for: task.eid) }
        case .delivered(let sequence):
            devices[task.eid, default: Device()].deliveredSequence = sequence
            task.state = .succeeded
        case .wiped:
            task.state = .succeeded
        case .failed:
            task.state = .failed
        }
        results[taskID] = result
        leases[taskID] = nil
        tasks[taskID] = task
        if reofferAfterResult, !reofferedOnce.contains(taskID) {
            reofferedOnce.insert(taskID)
            reofferAt[taskID] = ContinuousClock.now + .milliseconds(50)
        }
        return MNOTaskReceipt(task: task, certificate: certificatePEM)
    }

    func fetchPayload(eid: String) async throws -> [UInt8] {
        try injectedFailure()
        if let override = payloadOverride[eid] { return override }
        guard let payload = devices[eid]?.payload else {
            throw MNOSimulatorError(.notFound, "HTTP 404: no payload for \(eid)", httpStatus: 404)
        }
        return payload
    }

    func reportStatus(eid: String, status: EUICCStatus) async throws {
        try injectedFailure()
        statuses[eid, default: []].append(status)
    }
}
