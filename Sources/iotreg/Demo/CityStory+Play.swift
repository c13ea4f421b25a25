import ASPKit
import DeviceAgent
import Foundation
import MNOSimulator
import PKI
import Payload
import RegistryCore

extension CityStory {
    /// Plays every step; a failed step is recorded and the story goes on where it still can.
    func play() async -> DemoReport {
        do {
            try await playSteps()
        } catch {
            report.steps.append(.init(name: "(aborted)", devices: 0, seconds: 0, passed: false, detail: "\(error)"))
        }
        return report
    }

    private func playSteps() async throws {
        print(
            "iotreg demo: \(count) parking meters; \(topology.summary); REST on "
                + baseURLs.map(\.absoluteString).joined(separator: " and ") + ", DoT on 127.0.0.1:\(dotPort)")
        // Any node takes API traffic: the losing ASP uses the first node, the city, the gaining ASP and the MNO the
        // last one (the same node when there is one).
        let other = nodes.count - 1
        var start = ContinuousClock.now
        let parko = try await onboardASP("ParkoServ", label: "parkoserv")
        let carPark = try await onboardASP("CarParkServ", label: "carparkserv")
        let city = try await onboard("owners", "City of Ottawa")
        let operatorMNO = try await onboard("mnos", "Rogers")
        report.record(
            "onboarding (2 ASPs, city, MNO)", devices: 0, since: start, passed: true,
            "ParkoServ :\(parko.port), CarParkServ :\(carPark.port); \(topology.summary)")

        // 1. Procurement: the city receives the meters' eSIM identities.
        start = ContinuousClock.now
        eids = try (0..<count).map { n in
            try EID.withCheckDigits(body: "8904903200" + String(format: "%020d", 7_000_000 + n)).digits
        }
        let mno = try SimulatedMNO(
            channel: RESTMNOTaskChannel(baseURL: baseURLs[other], token: operatorMNO.token),
            directory: folder.appendingPathComponent("esims"), registryRoot: node.pki.hierarchy.root.certificate,
            configuration: .init(concurrency: 64, longPollSeconds: 1))
        try await mno.addDevices(eids)
        await mno.start()
        let onNetwork = await mno.deviceEIDs.count
        report.record(
            "1 procurement (eSIMs made)", devices: onNetwork, since: start, passed: onNetwork == count,
            "personalised with the registry root")

        // 2. Cloud registration: the city hands ParkoServ its meter list (the seed's CSV columns and ours).
        start = ContinuousClock.now
        let items: [[String: Any]] = try eids.enumerated().map { index, eid in
            [
                "eid": eid,
                "iccid": try ICCID.withCheckDigit(body: "898812345" + String(format: "%010d", index)).digits,
                "model": "SParkometer", "serial": "SPK-\(index)", "firmwareVersion": "1.1",
            ]
        }
        report.record(
            "2 cloud registration", devices: items.count, since: start, passed: items.count == count,
            "city -> ParkoServ")

        // 3. Registry registration: ParkoServ registers the meters in one bulk job.
        start = ContinuousClock.now
        let created = try await runJob(
            token: parko.token, ["operation": "create", "owner": city.id, "mno": operatorMNO.id, "items": items],
            title: "registering")
        report.record("3 registry registration", devices: created, since: start, passed: created == count, "bulk job")

        // 4. Activation: key pair on the eSIM, CSR through the MNO, certificate, zone, payload delivered.
        start = ContinuousClock.now
        let activated = try await runJob(
            token: parko.token, ["operation": "activate", "items": eids.map { ["eid": $0] }], title: "activating")
        let delivered = try await waitForDeliveries(mno, total: count, title: "provisioning over the air")
        report.record(
            "4 activation + payload OTA", devices: delivered, since: start,
            passed: activated == count && delivered >= count, "key, CSR, certificate, payload, receipt")

        // 5. Connection: each meter connects to ParkoServ; both sides check DANE.
        start = ContinuousClock.now
        let connected = await connectAll(mno, expect: parko, title: "connecting to ParkoServ")
        report.record(
            "5 connection (DANE mTLS)", devices: connected.ok, since: start, passed: connected.ok == count,
            connected.firstError)

        // 6. Transfer: the city moves every meter to CarParkServ with one authorisation. Each meter reconnects as
        // soon as its eSIM has the new payload (the modem tells it), as a real fleet would.
        start = ContinuousClock.now
        let deliveries = await mno.payloadDeliveries()
        let code =
            try await api(city.token, node: other).send("POST", "/v1/transfer-codes", json: ["eids": eids])
            as? [String: Any]
        guard let authCode = code?["authCode"] as? String else { throw CLIError("no transfer code issued") }
        async let following = reconnectAsDelivered(
            deliveries, mno: mno, expect: carPark, title: "moving to CarParkServ")
        let moved = try await runJob(
            token: carPark.token, ["operation": "transfer", "authCode": authCode, "items": eids.map { ["eid": $0] }],
            title: "transferring", showProgress: false, node: other)
        let jobSeconds = DemoReport.seconds(ContinuousClock.now - start)
        let reconnected = await following
        report.record(
            "6 transfer -> reconnected", devices: reconnected.ok, since: start,
            passed: moved == count && reconnected.delivered >= count && reconnected.ok == count,
            String(format: "zero touch (job %.1f s, last payload %.1f s)", jobSeconds, reconnected.lastDelivery)
                + (reconnected.firstError.isEmpty ? "" : "; " + reconnected.firstError))

        // 6b. No meter can still use ParkoServ.
        start = ContinuousClock.now
        let strays = await connectAll(mno, expect: parko, override: parko, title: "trying ParkoServ again")
        let wrongReason = strays.failures.first { !$0.contains("REFUSED not-sponsored") }
        report.record(
            "6b old ASP refuses moved meters", devices: count - strays.ok, since: start,
            passed: strays.ok == 0 && wrongReason == nil,
            strays.ok > 0 ? "\(strays.ok) still admitted" : wrongReason ?? "REFUSED not-sponsored")

        // 7. Renewal: every meter renews its certificate itself by EST before it expires, with a new eSIM key.
        start = ContinuousClock.now
        let refusedBefore = carPark.refusals.snapshot
        let renewed = await renewAll(mno, at: carPark, title: "renewing by EST")
        let followUps = try await waitForDeliveries(mno, total: 3 * count, title: "renewed payloads over the air")
        let adopted = await connectAll(mno, expect: carPark, title: "connecting from the new payloads")
        report.record(
            "7 renewal (EST) -> reconnected", devices: adopted.ok, since: start,
            passed: renewed.ok == count && followUps >= 3 * count && adopted.ok == count,
            renewed.ok < count
                ? "\(count - renewed.ok) failed, first: \(renewed.firstError)"
                    + Self.refusedBy(carPark, since: refusedBefore)
                : adopted.ok < count
                    ? "\(count - adopted.ok) failed, first: \(adopted.firstError)" : "new key, old certificate refused")

        // 8. Deactivation: a few meters are deactivated; nobody admits them once the TTL has passed.
        start = ContinuousClock.now
        let victims = Array(eids.suffix(deactivateCount))
        var kept: [String: (RegistryPayload, UInt8)] = [:]
        for eid in victims {
            guard let esim = await mno.device(eid), let payload = try await esim.currentPayload(),
                let keyID = try await esim.activeSignatureContainer()
            else { continue }
            kept[eid] = (payload, keyID)
            _ = try await api(carPark.token, node: other).send("POST", "/v1/devices/\(eid)/deactivate")
        }
        let wiped = try await waitFor(mno, title: "wiping eSIMs", total: victims.count) { $0.succeeded(.wipe) }
        try await Task.sleep(for: .seconds(Int(revocationBound) + 1))
        var admitted = 0
        for (eid, (payload, keyID)) in kept {
            guard let esim = await mno.device(eid) else { continue }
            if (try? await esim.currentPayload()) != nil { admitted += 1 }  // the payload must be gone
            for service in [carPark, parko] {
                // A rogue replay of the old identity: the key is still in the eSIM, the names are gone from DNS.
                if await attempt(payload: payload, esim: esim, keyID: keyID, to: service, selfAttest: false) == nil {
                    admitted += 1
                }
            }
        }
        report.record(
            "8 deactivation enforced", devices: victims.count, since: start,
            passed: wiped >= victims.count && admitted == 0 && kept.count == victims.count,
            admitted == 0 ? "payload wiped; refused by both ASPs (NXDOMAIN)" : "\(admitted) attempts admitted")
        await mno.stop()
        await parko.server.stop()
        await carPark.server.stop()
    }

    // MARK: - steps' helpers

    /// Submits a bulk job and waits for it, with a progress bar; returns the items that succeeded.
    func runJob(
        token: String, _ body: [String: Any], title: String, showProgress: Bool = true, node: Int = 0
    ) async throws -> Int {
        let job = try await api(token, node: node).send("POST", "/v1/jobs", json: body) as? [String: Any]
        guard let id = job?["id"] as? String else { throw CLIError("the job was not accepted: \(job ?? [:])") }
        let bar = showProgress ? ProgressBar(title: title, total: count) : nil
        while true {
            let status = try await api(token, node: node).send("GET", "/v1/jobs/\(id)") as? [String: Any] ?? [:]
            let processed = status["processed"] as? Int ?? 0
            bar?.show(processed)
            if status["status"] as? String == "completed" {
                bar?.finish(processed)
                return status["succeeded"] as? Int ?? 0
            }
            try await Task.sleep(for: .milliseconds(showProgress ? 100 : 20))
        }
    }

    /// What the reconnecting meters' task group hears.
    private enum FleetEvent: Sendable {
        /// A meter's eSIM accepted a payload.
        case delivered(String)
        /// A meter's connection ended: nil when welcomed, else why not.
        case attempted(String, String?)
        /// A second passed.
        case tick
        /// The MNO stopped.
        case ended
    }

    /// Connects each meter to `service` as soon as its eSIM reports a new payload, 32 handshakes at a time, until
    /// every meter is connected (or nothing happens for 60 s). A failed attempt is tried again twice.
    func reconnectAsDelivered(
        _ deliveries: AsyncStream<String>, mno: SimulatedMNO, expect service: Service, title: String
    ) async -> (ok: Int, delivered: Int, lastDelivery: Double, firstError: String) {
        let start = ContinuousClock.now
        let bar = ProgressBar(title: title, total: count)
        let permits = Permits(32)
        var delivered = 0
        var lastDelivery = 0.0
        var connected = Set<String>()
        var connecting = Set<String>()
        var firstError = ""
        // One reader of the stream at a time: each delivery read starts the next read.
        let nextDelivery: @Sendable () async -> FleetEvent = {
            for await eid in deliveries { return .delivered(eid) }
            return .ended
        }
        await withTaskGroup(of: FleetEvent.self) { group in
            group.addTask(operation: nextDelivery)
            group.addTask {
                try? await Task.sleep(for: .seconds(1)); return .tick
            }
            var lastProgress = ContinuousClock.now
            while connected.count < count, ContinuousClock.now - lastProgress < .seconds(60),
                let event = await group.next()
            {
                switch event {
                case .delivered(let eid):
                    group.addTask(operation: nextDelivery)
                    delivered += 1
                    lastDelivery = DemoReport.seconds(ContinuousClock.now - start)
                    lastProgress = ContinuousClock.now
                    guard !connected.contains(eid), connecting.insert(eid).inserted else { continue }
                    group.addTask {
                        var failure: String?
                        for attempt in 0..<3 {
                            if attempt > 0 { try? await Task.sleep(for: .milliseconds(300)) }
                            await permits.acquire()
                            failure = await self.attemptCurrent(eid, mno: mno, expect: service.name)
                            await permits.release()
                            if failure == nil { break }
                        }
                        return .attempted(eid, failure)
                    }
                case .attempted(let eid, let failure):
                    connecting.remove(eid)
                    lastProgress = ContinuousClock.now
                    if let failure {
                        if firstError.isEmpty { firstError = failure }
                    } else {
                        connected.insert(eid)
                        if connected.count % 10 == 0 { bar.show(connected.count) }
                    }
                case .tick:
                    group.addTask {
                        try? await Task.sleep(for: .seconds(1)); return .tick
                    }
                case .ended:
                    if connecting.isEmpty { lastProgress = .now - .seconds(61) }
                }
            }
            group.cancelAll()
        }
        bar.finish(connected.count)
        return (connected.count, delivered, lastDelivery, firstError)
    }

    /// One meter connects from the payload its eSIM holds now; nil on success, else why not.
    func attemptCurrent(_ eid: String, mno: SimulatedMNO, expect: String) async -> String? {
        guard let esim = await mno.device(eid), let payload = try? await esim.currentPayload(),
            let keyID = try? await esim.activeSignatureContainer()
        else { return "\(eid): no verified payload on the eSIM" }
        return await attempt(payload: payload, esim: esim, keyID: keyID, to: nil, expect: expect, selfAttest: true)
    }

    func waitForDeliveries(_ mno: SimulatedMNO, total: Int, title: String) async throws -> Int {
        try await waitFor(mno, title: title, total: total) { $0.succeeded(.deliverPayload) }
    }

    /// Waits until `measure` of the MNO's stats reaches `total`, showing progress; gives up when the MNO has done
    /// nothing at all for 60 s (on a large fleet the first payloads wait behind thousands of key generations).
    func waitFor(
        _ mno: SimulatedMNO, title: String, total: Int, _ measure: @escaping (SimulatedMNO.Stats) -> Int
    ) async throws -> Int {
        let bar = ProgressBar(title: title, total: total)
        var last = (-1, -1)
        var stalledSince = ContinuousClock.now
        while true {
            let stats = await mno.currentStats
            let done = measure(stats)
            bar.show(done)
            if done >= total {
                bar.finish(done)
                return done
            }
            if (done, stats.tasksDone) != last {
                last = (done, stats.tasksDone)
                stalledSince = ContinuousClock.now
            } else if ContinuousClock.now - stalledSince > .seconds(60) {
                bar.finish(done)
                return done
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs `body` for every meter, 32 at a time, with a progress bar; `body` answers nil on success, else why not.
    func forEachMeter(title: String, _ body: @escaping @Sendable (String) async -> String?) async
        -> (ok: Int, failures: [String])
    {
        let bar = ProgressBar(title: title, total: count)
        var ok = 0
        var done = 0
        var failures: [String] = []
        await withTaskGroup(of: String?.self) { group in
            var next = 0
            func launch() {
                guard next < eids.count else { return }
                let eid = eids[next]
                next += 1
                group.addTask { await body(eid) }
            }
            for _ in 0..<32 { launch() }
            for await failure in group {
                done += 1
                if let failure { failures.append(failure) } else { ok += 1 }
                if done % 10 == 0 { bar.show(done) }
                launch()
            }
        }
        bar.finish(done)
        return (ok, failures)
    }

    /// Connects every meter from its current payload (or to `override`); counts the `WELCOME`s.
    func connectAll(_ mno: SimulatedMNO, expect service: Service, override: Service? = nil, title: String) async
        -> (ok: Int, firstError: String, failures: [String])
    {
        let result = await forEachMeter(title: title) { eid in
            if override == nil { return await self.attemptCurrent(eid, mno: mno, expect: service.name) }
            guard let esim = await mno.device(eid), let payload = try? await esim.currentPayload(),
                let keyID = try? await esim.activeSignatureContainer()
            else { return "\(eid): no verified payload on the eSIM" }
            return await self.attempt(
                payload: payload, esim: esim, keyID: keyID, to: override, expect: service.name, selfAttest: false)
        }
        return (result.ok, override == nil ? result.failures.first ?? "" : "", result.failures)
    }

    /// "; <ASP> refused: <reasons>" for the DANE refusals `service` made since `earlier`, or nothing.
    static func refusedBy(_ service: Service, since earlier: [RefusalReason: RefusalTally.Entry]) -> String {
        let refused = service.refusals.since(earlier)
        return refused.isEmpty ? "" : "; \(service.name) refused: \(refused)"
    }

    /// Every meter renews by EST from its current payload. A meter counts when its renewed certificate
    /// self-attests and is welcomed by `service`, and its old certificate no longer self-attests.
    func renewAll(_ mno: SimulatedMNO, at service: Service, title: String) async -> (ok: Int, firstError: String) {
        let result = await forEachMeter(title: title) { await self.renew($0, mno: mno, expect: service.name) }
        return (result.ok, result.failures.first ?? "")
    }

    /// One meter renews; nil on success, else why not.
    func renew(_ eid: String, mno: SimulatedMNO, expect: String) async -> String? {
        do {
            guard let esim = await mno.device(eid), let payload = try await esim.currentPayload(),
                let keyID = try await esim.activeSignatureContainer()
            else { return "\(eid): no verified payload on the eSIM" }
            let current = try DeviceAgent(
                payload: payload, iotSafe: esim.iotSafe, keyID: keyID, connectHost: "127.0.0.1")
            // Behind a secondary the new TLSA takes a NOTIFY, an IXFR and NSD's reload to be seen; a thousand
            // renewals at once queue those, so the meter waits longer before it reports the lookup failed.
            let renewed = try await current.renew(publicationTimeout: topology.secondary ? .seconds(60) : .seconds(10))
            guard renewed.keyID != keyID else { return "\(eid): renewed without a new key" }
            let connection = try await renewed.connect()
            defer { Task { await connection.close() } }
            guard connection.welcome.hasPrefix("WELCOME \(expect) ") else {
                return "\(eid): welcomed by the wrong ASP: \(connection.welcome)"
            }
            // The old certificate was revoked with the renewal: a fresh look at the zone no longer matches it.
            let stale = try DeviceAgent(payload: payload, iotSafe: esim.iotSafe, keyID: keyID, connectHost: "127.0.0.1")
            do {
                try await stale.selfAttest()
                return "\(eid): the replaced certificate still self-attests"
            } catch let error as DeviceAgentError where error.code == .selfAttestationFailed {
                return nil
            }
        } catch {
            return "\(eid): \(error)"
        }
    }

    /// One meter connects (self-attests first unless told not to), says HELLO, expects WELCOME from `expect`.
    /// Returns nil on success, else why not.
    func attempt(
        payload: RegistryPayload, esim: SimulatedESIM, keyID: UInt8, to service: Service?, expect: String? = nil,
        selfAttest: Bool
    ) async -> String? {
        do {
            let agent = try DeviceAgent(
                payload: payload, iotSafe: esim.iotSafe, keyID: keyID, connectHost: "127.0.0.1",
                asp: service.map { ($0.fqdn, $0.port) })
            let connection = try await agent.connect(selfAttestation: selfAttest)
            defer { Task { await connection.close() } }
            let welcome = connection.welcome
            if let expect, !welcome.hasPrefix("WELCOME \(expect) ") {
                return "\(esim.eid): welcomed by the wrong ASP: \(welcome)"
            }
            try await connection.telemetry("occupancy=1")
            return nil
        } catch {
            return "\(esim.eid): \(error)"
        }
    }
}
