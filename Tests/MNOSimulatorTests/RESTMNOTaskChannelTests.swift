import Foundation
import PeerTesting
import Testing

@testable import MNOSimulator

/// The HTTP channel against a stand-in registry written with Python's `http.server` (not our code): paths, bearer
/// token, JSON bodies, `application/cose`, problem+json errors mapped to codes, kept-alive connections.
@Suite struct RESTMNOTaskChannelTests {
    static let eid = "89049032000000000000000000000001"
    static let server = """
        import json, sys, threading, http.server
        from urllib.parse import urlparse, parse_qs
        EID = "\(eid)"
        TASK = {"id": "t/1", "kind": "generate-key", "eid": EID, "state": "pending", "attempt": 1,
                "createdAt": "2026-11-23T14:00:00Z"}
        posted = {}
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def send(self, code, body=b"", ctype="application/json"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def problem(self, code, detail):
                self.send(code, json.dumps({"title": "refused", "detail": detail}).encode(), "application/problem+json")
            def authorised(self):
                if self.headers.get("Authorization") != "Bearer mno-token":
                    self.problem(401, "unknown MNO token")
                    return False
                return True
            def do_GET(self):
                if not self.authorised(): return
                url = urlparse(self.path)
                if url.path == "/api/v1/mno/tasks":
                    q = parse_qs(url.query)
                    if q != {"limit": ["5"], "wait": ["1"]}: return self.problem(400, "bad query %r" % q)
                    self.send(200, json.dumps({"items": [TASK], "next": None}).encode())
                elif url.path == "/api/v1/devices/%s/payload" % EID:
                    if self.headers.get("Accept") != "application/cose": return self.problem(406, "accept")
                    self.send(200, bytes([0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40]), "application/cose")
                else:
                    self.problem(404, "no payload for this device")
            def do_POST(self):
                if not self.authorised(): return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/api/v1/mno/tasks/t%2F1/result":
                    if "t/1" in posted and posted["t/1"] != body:
                        return self.problem(409, "another result is already recorded for this task")
                    posted["t/1"] = body
                    task = dict(TASK, state="succeeded")
                    self.send(200, json.dumps({"task": task, "certificate": "PEM:" + body["outcome"]}).encode())
                elif self.path == "/api/v1/devices/%s/euicc-status" % EID:
                    if body != {"status": "online"}: return self.problem(422, "bad status")
                    self.send(204)
                else:
                    self.problem(404, "no such task for this MNO")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        threading.Timer(60, server.shutdown).start()
        server.serve_forever()
        """

    /// Starts the stand-in on a free loopback port; it stops by itself after 60 s.
    static func startServer() async throws -> (PeerProcess, Int) {
        let process = try PeerProcess(
            executable: try #require(PeerTool.path(of: "python3")), arguments: ["-c", server], standardOutput: .pipe)
        let port = Int(await process.firstLine().trimmingCharacters(in: .whitespacesAndNewlines))
        return (process, try #require(port))
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3")))
    func speaksTheContract() async throws {
        let (process, port) = try await Self.startServer()
        defer { process.abandon() }
        let base = try #require(URL(string: "http://127.0.0.1:\(port)/api/"))
        let channel = RESTMNOTaskChannel(baseURL: base, token: "mno-token", maxConnections: 4)
        let page = try await channel.fetchTasks(limit: 5, wait: 1)
        #expect(page.items.map(\.id) == ["t/1"])
        #expect(page.items.first?.kind == .generateKey)
        let result = MNOTaskResult.csr(pem: "-----BEGIN CERTIFICATE REQUEST-----", keyAgreementPublicKey: [4, 1])
        let receipt = try await channel.postResult(taskID: "t/1", result)
        #expect(receipt.task.state == .succeeded)
        #expect(receipt.certificate == "PEM:csr")
        #expect(try await channel.postResult(taskID: "t/1", result).certificate == "PEM:csr")
        await #expect(throws: MNOSimulatorError(.conflict, "")) {
            _ = try await channel.postResult(taskID: "t/1", .wiped)
        }
        await #expect(throws: MNOSimulatorError(.notFound, "")) {
            _ = try await channel.postResult(taskID: "other-mno-task", .wiped)
        }
        #expect(try await channel.fetchPayload(eid: Self.eid) == [0xD2, 0x84, 0x40, 0xA0, 0x40, 0x40])
        try await channel.reportStatus(eid: Self.eid, status: .online)
        do {
            _ = try await channel.fetchPayload(eid: "89049032000000000000000000000002")
            Issue.record("expected 404")
        } catch let error as MNOSimulatorError {
            #expect(error.code == .notFound)
            #expect(error.httpStatus == 404)
            #expect(error.reason.contains("no payload for this device"))
        }
        let stranger = RESTMNOTaskChannel(baseURL: base, token: "wrong")
        await #expect(throws: MNOSimulatorError(.unauthorized, "")) {
            _ = try await stranger.fetchTasks(limit: 5, wait: 1)
        }
        #expect(!"\(MNOSimulatorError(.unauthorized, ""))".contains("mno-token"))
    }

    @Test func unreachableRegistryIsTransient() async throws {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        let channel = RESTMNOTaskChannel(baseURL: try #require(URL(string: "http://127.0.0.1:9")), token: "t")
        await #expect(throws: MNOSimulatorError(.transient, "")) { _ = try await channel.fetchTasks(limit: 1, wait: 0) }
    }
}
