import Foundation
import PeerTesting
import RegistryCore
import Testing

/// `kill -9` of a real `iotreg serve` in the middle of a bulk job: after a restart the job finishes with every item
/// done exactly once, and the audit chain verifies.
@Suite struct CrashRecoveryTests {
    static let binary = PeerTool.packageRoot().appendingPathComponent(".build/debug/iotreg")

    final class Server {
        let process: PeerProcess
        init(data: URL, port: Int) throws {
            process = try PeerProcess(
                executable: CrashRecoveryTests.binary.path,
                arguments: ["serve", "--data", data.path, "--http", "127.0.0.1:\(port)", "--dns", "off"])
        }
        /// SIGKILL, then waits (bounded) until the process is gone.
        func kill9() async { await process.kill9() }
        func stop() async { await process.stopPeer() }
        /// For `defer`, which cannot wait: SIGKILL without waiting (the test's last line stops it properly).
        func abandon() { process.abandon() }
    }

    static func freePort() throws -> Int {
        let result = try PeerTool.run(
            "python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    static func call(_ method: String, _ url: URL, token: String?, json: Any? = nil) async throws -> (
        Int, [String: Any]
    ) {
        var headers: [(String, String)] = []
        var body: Data?
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let json {
            body = try JSONSerialization.data(withJSONObject: json)
            headers.append(("Content-Type", "application/json"))
        }
        let reply = try await TestHTTP.send(method, url, headers: headers, body: body)
        return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:])
    }

    static func waitForHealth(_ base: URL) async throws {
        for _ in 0..<300 {
            if let (status, _) = try? await call("GET", base.appendingPathComponent("healthz"), token: nil),
                status == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("iotreg serve did not become healthy")
    }

    @Test(.enabled(if: PeerTool.peersRequired || FileManager.default.isExecutableFile(atPath: binary.path)))
    func killedMidJobFinishesAfterRestartExactlyOnce() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let port = try Self.freePort()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        var server = try Server(data: data, port: port)
        defer { server.abandon() }
        try await Self.waitForHealth(base)
        let operatorToken = try String(contentsOf: data.appendingPathComponent("operator.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let asp = try await Self.call(
            "POST", base.appendingPathComponent("v1/asps"), token: operatorToken,
            json: ["name": "ParkoServ", "fqdn": "iot.parkoserv.test", "port": 8883]
        ).1
        let owner = try await Self.call(
            "POST", base.appendingPathComponent("v1/owners"), token: operatorToken, json: ["name": "City"]
        ).1
        let mno = try await Self.call(
            "POST", base.appendingPathComponent("v1/mnos"), token: operatorToken, json: ["name": "Telco"]
        ).1
        let aspToken = try #require(asp["token"] as? String)

        let count = 30_000
        let items = (0..<count).map { n in
            ["eid": LiveRegistry.eid(100_000 + n), "iccid": LiveRegistry.iccid(100_000 + n), "model": "SParkometer"]
        }
        let (status, job) = try await Self.call(
            "POST", base.appendingPathComponent("v1/jobs"), token: aspToken,
            json: ["operation": "create", "owner": owner["id"] ?? "", "mno": mno["id"] ?? "", "items": items])
        #expect(status == 202)
        let jobID = try #require(job["id"] as? String)
        let jobURL = base.appendingPathComponent("v1/jobs/\(jobID)")

        // Kill as soon as some, but not all, items are done.
        var processedAtKill = 0
        for _ in 0..<2000 {
            let progress = try await Self.call("GET", jobURL, token: aspToken).1
            processedAtKill = progress["processed"] as? Int ?? 0
            if processedAtKill > 0 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        await server.kill9()
        #expect(processedAtKill < count, "the job finished before the kill; make it larger")

        server = try Server(data: data, port: port)
        try await Self.waitForHealth(base)
        var final: [String: Any] = [:]
        for _ in 0..<1200 {
            final = try await Self.call("GET", jobURL, token: aspToken).1
            if final["status"] as? String == "completed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(final["status"] as? String == "completed")
        #expect(final["processed"] as? Int == count)
        #expect(final["succeeded"] as? Int == count)
        #expect(final["failed"] as? Int == 0)
        await server.stop()

        // Every device exists once and the audit log has exactly one create per device, chained intact.
        let verify = try PeerTool.run(Self.binary.path, ["audit", "verify", "--data", data.path])
        #expect(verify.status == 0, "\(verify.output)")
        // bootstrap + 3 onboardings + job.submit + one device.create per item + job.complete
        #expect(verify.stdout.contains("\(count + 6) entries"), "\(verify.stdout)")
        let rows = try PeerTool.run(
            "sqlite3",
            [
                data.appendingPathComponent("registry.sqlite").path,
                "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM outbox), "
                    + "(SELECT count(*) FROM audit_log WHERE action = 'device.create')",
            ])
        #expect(rows.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(count)|\(count)|\(count)")
    }
}
