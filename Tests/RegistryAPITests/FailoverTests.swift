import Foundation
import PeerTesting
import RegistryCore
import Testing

/// `kill -9` in the middle of a bulk transfer of active devices: with two `iotreg serve` nodes over one PostgreSQL,
/// the survivor finishes the job and takes over the DNS signer; with one node over SQLite, the restarted node does.
/// Afterwards every device is under exactly one ASP, once; the audit chain verifies; the served zone (AXFR, checked
/// by `ldns-verify-zone`) holds exactly the database's identities, under a serial after the killed node's.
///
/// `IOTREG_FAILOVER_DEVICES` sets the fleet (default 1,000; `bench/failover.sh` runs 100,000).
@Suite(.serialized) struct FailoverTests {
    /// The debug build, or `IOTREG_BINARY` (`bench/failover.sh` measures the release build).
    static let binary =
        ProcessInfo.processInfo.environment["IOTREG_BINARY"].map { URL(fileURLWithPath: $0) }
        ?? PeerTool.packageRoot().appendingPathComponent(".build/debug/iotreg")
    static let zone = "iotregistry.test."
    static var fleet: Int { Int(ProcessInfo.processInfo.environment["IOTREG_FAILOVER_DEVICES"] ?? "") ?? 1_000 }
    static var canRun: Bool {
        PeerTool.peersRequired
            || (FileManager.default.isExecutableFile(atPath: binary.path) && PeerTool.isAvailable("dig")
                && PeerTool.isAvailable("ldns-verify-zone"))
    }
    static var postgresURL: String? { ProcessInfo.processInfo.environment["IOTREG_TEST_POSTGRES_URL"] }

    /// One `iotreg serve` process with its ports.
    final class Node: @unchecked Sendable {
        let data: URL
        let http: Int
        let dns: Int
        let database: String?
        var process: PeerProcess?
        let log: URL

        init(data: URL, database: String?, name: String) throws {
            self.data = data
            self.database = database
            http = try CrashRecoveryTests.freePort()
            dns = try CrashRecoveryTests.freePort()
            log = data.deletingLastPathComponent().appendingPathComponent("\(name).log")
        }

        var base: URL { URL(string: "http://127.0.0.1:\(http)")! }

        func start() throws {
            var arguments = [
                "serve", "--data", data.path, "--http", "127.0.0.1:\(http)", "--dns", "127.0.0.1:\(dns)",
                "--allow-transfer", "127.0.0.1", "--job-batch", "50", "--job-takeover-after", "3",
            ]
            if let database { arguments += ["--database", database] }
            process = try PeerProcess(
                executable: FailoverTests.binary.path, arguments: arguments, standardOutput: .file(log),
                standardError: .file(log))
        }

        func kill9() async { await process?.kill9() }
        func stop() async { await process?.stopPeer() }
        func abandon() { process?.abandon() }

        /// The SOA serial this node serves, nil when it serves no DNS (a standby, or dead).
        func soaSerial() -> UInt32? {
            let result = try? PeerTool.run(
                "dig", ["+short", "+time=1", "+tries=1", "-p", "\(dns)", "@127.0.0.1", FailoverTests.zone, "SOA"],
                timeout: 10)
            guard let result, result.status == 0 else { return nil }
            let fields = result.stdout.split(whereSeparator: \.isWhitespace)
            return fields.count >= 3 ? UInt32(fields[2]) : nil
        }

        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    /// Reads the shared database with the engine's own client.
    struct Database {
        let postgres: String?
        let sqliteFile: URL?

        func scalar(_ sql: String) throws -> String {
            let result =
                if let postgres {
                    try PeerTool.run("psql", ["-X", "-A", "-t", "-q", "-d", postgres, "-c", sql])
                } else {
                    try PeerTool.run("sqlite3", [sqliteFile!.path, sql])
                }
            guard result.status == 0 else { throw TestFailure("query failed: \(sql): \(result.output)") }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test(
        "two nodes over PostgreSQL: kill -9 the signer mid bulk transfer; the other finishes it and signs the zone",
        .enabled(if: canRun && (postgresURL != nil || PeerTool.peersRequired)))
    func twoNodesOverPostgreSQL() async throws {
        let database = try Self.scratchDatabase("iotreg_failover_")
        defer { database.drop() }
        try await Self.killMidTransfer(database: database.url, twoNodes: true)
    }

    /// A fresh database on the test cluster for tests that start `iotreg` nodes over it; `drop` removes it.
    static func scratchDatabase(_ prefix: String) throws -> (url: String, drop: () -> Void) {
        let base = try #require(postgresURL, "IOTREG_TEST_POSTGRES_URL must name the test cluster")
        let name = prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let created = try PeerTool.run("psql", ["-X", "-q", "-d", base, "-c", "CREATE DATABASE \(name)"])
        try #require(created.status == 0, "\(created.output)")
        let url = base.replacingOccurrences(of: #"/[^/?]*(\?|$)"#, with: "/\(name)$1", options: .regularExpression)
        return (
            url,
            { _ = try? PeerTool.run("psql", ["-X", "-q", "-d", base, "-c", "DROP DATABASE \(name) WITH (FORCE)"]) }
        )
    }

    @Test(
        "one node over SQLite: kill -9 mid bulk transfer; after a restart it finishes the job and the zone",
        .enabled(if: canRun))
    func oneNodeOverSQLite() async throws {
        try await Self.killMidTransfer(database: nil, twoNodes: false)
    }

    static func killMidTransfer(database url: String?, twoNodes: Bool) async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-failover")
        defer {
            if ProcessInfo.processInfo.environment["IOTREG_FAILOVER_KEEP"] == nil {
                try? FileManager.default.removeItem(at: directory)
            } else {
                print("kept \(directory.path)")
            }
        }
        let first = try Node(data: directory.appendingPathComponent("node-a"), database: url, name: "node-a")
        try first.start()
        defer { first.abandon() }
        try await CrashRecoveryTests.waitForHealth(first.base)
        let database = Database(
            postgres: url, sqliteFile: url == nil ? first.data.appendingPathComponent("registry.sqlite") : nil)

        // The second node shares the database and the keys (the data folder copied, as docs/deployment.md says).
        var second: Node?
        if twoNodes {
            let node = try Node(data: directory.appendingPathComponent("node-b"), database: url, name: "node-b")
            try FileManager.default.copyItem(at: first.data, to: node.data)
            try node.start()
            try await CrashRecoveryTests.waitForHealth(node.base)
            #expect(node.soaSerial() == nil, "a standby must not serve the zone")
            second = node
        }
        defer { second?.abandon() }

        let cast = try await Self.activeFleet(on: first, count: fleet, directory: directory, database: database)
        let eids = cast.eids

        // The owner's one code for the fleet; the gaining ASP's bulk transfer on the signer node, killed mid-way.
        let (codeStatus, code) = try await CrashRecoveryTests.call(
            "POST", first.base.appendingPathComponent("v1/transfer-codes"), token: cast.ownerToken,
            json: ["eids": eids])
        try #require(codeStatus == 201 || codeStatus == 200, "\(code)")
        let authCode = try #require(code["authCode"] as? String)
        let (status, job) = try await CrashRecoveryTests.call(
            "POST", first.base.appendingPathComponent("v1/jobs"), token: cast.gainingToken,
            json: ["operation": "transfer", "authCode": authCode, "items": eids.map { ["eid": $0] }])
        try #require(status == 202, "\(job)")
        let jobPath = "v1/jobs/\(try #require(job["id"] as? String))"
        var processedAtKill = 0
        let submitted = ContinuousClock.now
        for _ in 0..<4000 {
            let progress = try await CrashRecoveryTests.call(
                "GET", first.base.appendingPathComponent(jobPath), token: cast.gainingToken
            ).1
            processedAtKill = progress["processed"] as? Int ?? 0
            if processedAtKill > 0 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let serialBeforeKill = try #require(first.soaSerial(), "the first node should sign and serve the zone")
        await first.kill9()
        print(
            "killed the signer node at \(processedAtKill) of \(eids.count) items, \(ContinuousClock.now - submitted) after submission"
        )
        #expect(processedAtKill > 0, "the transfer made no progress before the kill")
        #expect(processedAtKill < eids.count, "the transfer finished before the kill; make the fleet larger")
        let killed = ContinuousClock.now

        let survivor: Node
        if let second {
            survivor = second
            // The standby takes the signer's lease as soon as PostgreSQL ends the dead node's session.
            var took = false
            for _ in 0..<300 {
                if let serial = second.soaSerial(), Int32(bitPattern: serial &- serialBeforeKill) > 0 {
                    took = true
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(took, "the standby did not take over the zone\n\(second.logText().suffix(2000))")
            print("the standby served the zone \(ContinuousClock.now - killed) after the kill (bound: 5 s)")
        } else {
            try first.start()
            try await CrashRecoveryTests.waitForHealth(first.base)
            survivor = first
        }
        let final = try await Self.finishedJob(
            at: survivor.base.appendingPathComponent(jobPath), token: cast.gainingToken)
        #expect(final["status"] as? String == "completed", "\(final)\n\(survivor.logText().suffix(2000))")
        print("the job completed \(ContinuousClock.now - killed) after the kill")
        #expect(final["processed"] as? Int == eids.count)
        #expect(final["succeeded"] as? Int == eids.count)
        #expect(final["failed"] as? Int == 0)

        // Every device is under exactly one ASP, the gaining one; one completion each in the audit log and outbox.
        #expect(
            try database.scalar("SELECT asp_id || ':' || count(*) FROM devices GROUP BY asp_id")
                == "\(cast.gainingID):\(eids.count)")
        #expect(
            try database.scalar("SELECT count(*) FROM audit_log WHERE action = 'transfer.complete'") == "\(eids.count)")
        #expect(try database.scalar("SELECT count(*) FROM outbox WHERE kind = 'transfer.completed'") == "\(eids.count)")
        var verifyArguments = ["audit", "verify", "--data", survivor.data.path]
        if let url { verifyArguments += ["--database", url] }
        let verify = try PeerTool.run(binary.path, verifyArguments)
        #expect(verify.status == 0, "\(verify.output)")

        // The survivor signs and serves the zone: a later serial, and exactly the database's identities.
        let expected = Set(
            try database.scalar("SELECT rpid || '.' || eid FROM devices WHERE state = 'active'")
                .split(whereSeparator: \.isNewline).map { "\($0).\(zone)" })
        #expect(expected.count == eids.count)
        var served: Set<String> = []
        var axfr = ""
        for _ in 0..<600 {
            if let serial = survivor.soaSerial(), Int32(bitPattern: serial &- serialBeforeKill) > 0 {
                let transfer = try PeerTool.run(
                    "dig", ["+nocmd", "+nostats", "+onesoa", "-p", "\(survivor.dns)", "@127.0.0.1", zone, "AXFR"],
                    timeout: 60)
                axfr = transfer.stdout
                served = Self.owners(ofType: "CERT", in: axfr)
                if served == expected { break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        print("the survivor served the whole zone \(ContinuousClock.now - killed) after the kill")
        #expect(
            served == expected,
            "served \(served.count) CERT names, the database \(expected.count), \(served.symmetricDifference(expected).count) differ\n\(survivor.logText().suffix(3000))"
        )
        let zoneFile = directory.appendingPathComponent("axfr.zone")
        try axfr.write(to: zoneFile, atomically: true, encoding: .utf8)
        let verifyZone = try PeerTool.run("ldns-verify-zone", [zoneFile.path], timeout: 300)
        #expect(verifyZone.status == 0, "\(verifyZone.output.suffix(2000))")
        await survivor.stop()
    }

    /// The job's last state once it completed, or once it made no progress for two minutes (a 100,000-device
    /// transfer on one surviving node takes longer than any fixed bound that would still end a stuck test).
    static func finishedJob(at url: URL, token: String) async throws -> [String: Any] {
        var job: [String: Any] = [:]
        var processed = -1
        var lastProgress = ContinuousClock.now
        while ContinuousClock.now - lastProgress < .seconds(120) {
            job = try await CrashRecoveryTests.call("GET", url, token: token).1
            if job["status"] as? String == "completed" { break }
            if let now = job["processed"] as? Int, now != processed {
                processed = now
                lastProgress = ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return job
    }

    /// The owner names of the records of `type` in a master-file text (dig's AXFR output).
    static func owners(ofType type: String, in text: String) -> Set<String> {
        var names: Set<String> = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count > 4 && fields[3] == Substring(type) { names.insert(fields[0].lowercased()) }
        }
        return names
    }

    struct Cast {
        var ownerToken: String
        var gainingID: String
        var gainingToken: String
        var eids: [String]
    }

    /// Onboards two ASPs, an owner and an MNO; registers and activates `count` devices with the simulated MNO
    /// (`iotreg mno simulate`, the eSIMs making their keys) and waits until every one is certified.
    static func activeFleet(on node: Node, count: Int, directory: URL, database: Database) async throws -> Cast {
        let operatorToken = try String(contentsOf: node.data.appendingPathComponent("operator.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        func onboard(_ path: String, _ body: [String: Any]) async throws -> (id: String, token: String) {
            let (status, reply) = try await CrashRecoveryTests.call(
                "POST", node.base.appendingPathComponent(path), token: operatorToken, json: body)
            try #require(status == 201, "\(path): \(reply)")
            return (try #require(reply["id"] as? String), try #require(reply["token"] as? String))
        }
        let losing = try await onboard("v1/asps", ["name": "ParkoServ", "fqdn": "iot.parkoserv.test", "port": 8883])
        let gaining = try await onboard("v1/asps", ["name": "CarParkServ", "fqdn": "iot.carpark.test", "port": 8883])
        let owner = try await onboard("v1/owners", ["name": "City"])
        let mno = try await onboard("v1/mnos", ["name": "Telco"])

        let eids = (0..<count).map { LiveRegistry.eid(700_000 + $0) }
        let creates: [[String: String]] = (0..<count).map { n in
            ["eid": eids[n], "iccid": LiveRegistry.iccid(700_000 + n)]
        }
        let activations: [[String: String]] = eids.map { ["eid": $0] }
        for (operation, items) in [("create", creates), ("activate", activations)] {
            let (status, job) = try await CrashRecoveryTests.call(
                "POST", node.base.appendingPathComponent("v1/jobs"), token: losing.token,
                json: ["operation": operation, "owner": owner.id, "mno": mno.id, "items": items])
            try #require(status == 202, "\(job)")
            let path = "v1/jobs/\(try #require(job["id"] as? String))"
            let done = try await Self.finishedJob(at: node.base.appendingPathComponent(path), token: losing.token)
            try #require(done["succeeded"] as? Int == count, "\(operation): \(done)")
        }

        let eidFile = directory.appendingPathComponent("eids.txt")
        try eids.joined(separator: "\n").write(to: eidFile, atomically: true, encoding: .utf8)
        let simulator = try PeerProcess(
            executable: binary.path,
            arguments: [
                "mno", "simulate", "--url", node.base.absoluteString, "--token", mno.token, "--fleet",
                directory.appendingPathComponent("esims").path, "--root",
                node.data.appendingPathComponent("ca/root.pem").path, "--eids", eidFile.path, "--concurrency", "64",
            ])
        defer { simulator.abandon() }
        var active = 0
        var quiet = 0
        // The simulator first personalises every eSIM (about 150 a second here): at 100,000 that is minutes
        // before the first certificate, so the patience grows with the fleet.
        let patience = 120 + count / 100
        while active < count && quiet < patience {
            try await Task.sleep(for: .seconds(1))
            // Active as soon as the job ran; published once the eSIM's key is certified.
            let now =
                Int(try database.scalar("SELECT count(DISTINCT eid) FROM certificates WHERE status = 'good'")) ?? 0
            quiet = now == active ? quiet + 1 : 0
            active = now
        }
        await simulator.stopPeer()
        try #require(active == count, "only \(active) of \(count) devices were certified")
        return Cast(ownerToken: owner.token, gainingID: gaining.id, gainingToken: gaining.token, eids: eids)
    }
}
