import Foundation
import PeerTesting
import Testing

/// The issue-4 promise end to end on the real binary: a device activated and certified through the REST API is,
/// within a second, a TLSA answer that `delv` fully validates from `iotreg zone trust-anchor`; after deactivation
/// the name is a validated NXDOMAIN, for `delv` and for `unbound` alike; `iotreg zone export` passes ldns-verify-zone and
/// dnssec-verify.
@Suite struct ZoneServingTests {
    static let binary = CrashRecoveryTests.binary
    static var peers: Bool {
        PeerTool.peersRequired
            || (FileManager.default.isExecutableFile(atPath: binary.path) && PeerTool.isAvailable("delv")
                && PeerTool.isAvailable("kdig") && PeerTool.isAvailable("openssl")
                && PeerTool.isAvailable("unbound-host"))
    }

    /// Runs `kdig` until `check` holds for its output (the zone follows the outbox ten times a second).
    func eventually(_ arguments: [String], _ check: (String) -> Bool) async throws -> String {
        var output = ""
        for _ in 0..<50 {
            output = try await PeerTool.runDetached("kdig", arguments).stdout
            if check(output) { return output }
            try await Task.sleep(for: .milliseconds(100))
        }
        return output
    }

    @Test(.enabled(if: peers))
    func activatedDeviceIsValidatedTLSAAndDeactivatedIsValidatedNXDOMAIN() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-zone")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let port = try CrashRecoveryTests.freePort()
        let dnsPort = try CrashRecoveryTests.freePort()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        let process = try PeerProcess(
            executable: Self.binary.path,
            arguments: [
                "serve", "--data", data.path, "--http", "127.0.0.1:\(port)", "--dns", "127.0.0.1:\(dnsPort)",
            ])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await CrashRecoveryTests.waitForHealth(base)
        let operatorToken = try String(contentsOf: data.appendingPathComponent("operator.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        func call(_ method: String, _ path: String, _ token: String, _ json: Any? = nil) async throws -> (
            Int, [String: Any]
        ) {
            try await CrashRecoveryTests.call(method, base.appendingPathComponent(path), token: token, json: json)
        }
        let asp = try await call(
            "POST", "v1/asps", operatorToken, ["name": "ParkoServ", "fqdn": "iot.parkoserv.test", "port": 8883]
        ).1
        let owner = try await call("POST", "v1/owners", operatorToken, ["name": "City"]).1
        let mno = try await call("POST", "v1/mnos", operatorToken, ["name": "Telco"]).1
        let aspToken = try #require(asp["token"] as? String)
        let mnoToken = try #require(mno["token"] as? String)
        let eid = LiveRegistry.eid(4_242)
        let created = try await call(
            "POST", "v1/devices", aspToken,
            ["eid": eid, "iccid": LiveRegistry.iccid(4_242), "owner": owner["id"] ?? "", "mno": mno["id"] ?? ""])
        #expect(created.0 == 201, "\(created.1)")
        #expect(try await call("POST", "v1/devices/\(eid)/activate", aspToken).0 == 200)

        // The eSIM's key and CSR, made by openssl; the MNO submits it.
        let key = directory.appendingPathComponent("device.key").path
        let csr = directory.appendingPathComponent("device.csr").path
        let req = try PeerTool.run(
            "openssl",
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                "-subj", "/CN=ignored", "-out", csr,
            ])
        #expect(req.status == 0, "\(req.output)")
        let issued = try await PeerTool.runDetached(
            "curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(mnoToken)",
                "-H", "Content-Type: application/pkcs10", "--data-binary", "@\(csr)",
                "\(base.absoluteString)/v1/devices/\(eid)/csr",
            ])
        #expect(issued.stdout == "201", "\(issued.output)")

        let name = "\(eid)._device.iotregistry.test."
        let dig = ["@127.0.0.1", "-p", "\(dnsPort)", "+dnssec", name, "TLSA"]
        let answer = try await eventually(dig) { $0.contains("NOERROR") && $0.contains("TLSA\t3 1 1") }
        #expect(answer.contains("TLSA\t3 1 1"), "\(answer)")

        // delv from the trust anchor iotreg prints.
        let anchor = try ZoneTrustAnchor(data: data, directory: directory)
        let delv = [
            "@127.0.0.1", "-p", "\(dnsPort)", "-a", anchor.delvFile.path, "+root=iotregistry.test", name, "TLSA",
        ]
        let positive = try await PeerTool.runDetached("delv", delv)
        #expect(positive.output.contains("; fully validated"), "\(positive.output)")
        // And unbound, as a validating resolver with a stub zone to the registry, from the same DS.
        let unbound = try await PeerTool.unboundHost(name, "TLSA", ds: anchor.ds, port: dnsPort, directory: directory)
        #expect(unbound.contains("has TLSA record 3 1 1") && unbound.contains("(secure)"), "\(unbound)")

        #expect(try await call("POST", "v1/devices/\(eid)/deactivate", aspToken).0 == 200)
        let gone = try await eventually(dig) { $0.contains("NXDOMAIN") }
        #expect(gone.contains("NXDOMAIN"), "\(gone)")
        let negative = try await PeerTool.runDetached("delv", delv)
        #expect(negative.output.contains("; negative response, fully validated"), "\(negative.output)")
        let unboundGone = try await PeerTool.unboundHost(
            name, "TLSA", ds: anchor.ds, port: dnsPort, directory: directory)
        #expect(unboundGone.contains("NXDOMAIN") && unboundGone.contains("(secure)"), "\(unboundGone)")

        // The exported zone is a valid signed zone for two outside verifiers.
        let export = try PeerTool.run(Self.binary.path, ["zone", "export", "--data", data.path])
        #expect(export.status == 0, "\(export.stderr)")
        let zoneFile = directory.appendingPathComponent("zone.db")
        try export.stdout.write(to: zoneFile, atomically: true, encoding: .utf8)
        let ldns = try PeerTool.run("ldns-verify-zone", [zoneFile.path])
        #expect(ldns.status == 0, "\(ldns.output)")
        let bind = try PeerTool.run("dnssec-verify", ["-o", "iotregistry.test", zoneFile.path])
        #expect(bind.status == 0, "\(bind.output)")
        await process.stopPeer()
    }
}
