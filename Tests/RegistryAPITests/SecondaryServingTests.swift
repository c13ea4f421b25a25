import Foundation
import PeerTesting
import Testing

/// Issue 8's "served by ordinary secondaries" on the real binary: `iotreg serve --notify` as a hidden primary, NSD
/// configured from `iotreg zone secondary` (TSIG-signed transfers), a change made through the REST API reaches NSD
/// by NOTIFY and IXFR, and `delv` fully validates NSD's answer from `iotreg zone trust-anchor`.
@Suite struct SecondaryServingTests {
    static var peers: Bool {
        PeerTool.peersRequired
            || (FileManager.default.isExecutableFile(atPath: CrashRecoveryTests.binary.path)
                && PeerTool.isAvailable("nsd") && PeerTool.isAvailable("kdig") && PeerTool.isAvailable("delv")
                && PeerTool.isAvailable("openssl"))
    }

    /// Asks NSD (or the primary) until `check` holds, up to 30 s.
    func eventually(_ arguments: [String], _ check: (String) -> Bool) async throws -> String {
        var output = ""
        for _ in 0..<60 {
            output = try await PeerTool.runDetached("kdig", ["+timeout=1", "+retry=0"] + arguments, timeout: 10).output
            if check(output) { return output }
            try await Task.sleep(for: .milliseconds(500))
        }
        return output
    }

    /// Nodes over one PostgreSQL take turns as the primary: the secondary's configuration lists them all, and
    /// both NSD and Knot accept it as printed.
    @Test(.enabled(if: PeerTool.isAvailable("nsd-checkconf") && PeerTool.isAvailable("knotc")))
    func secondariesListEveryNodeAsAPrimary() throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-secondaries")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        let initialised = try CACommandTests.iotreg(["init", "--data", data])
        try #require(initialised.status == 0, "\(initialised.output)")
        let primaries = ["--primary", "192.0.2.10:53", "--primary", "192.0.2.11:53"]
        let nsd = try CACommandTests.iotreg(["zone", "secondary", "--software", "nsd", "--data", data] + primaries)
        #expect(nsd.stdout.contains("request-xfr: 192.0.2.10@53 iotreg-xfr."))
        #expect(nsd.stdout.contains("request-xfr: 192.0.2.11@53 iotreg-xfr."))
        #expect(nsd.stdout.contains("allow-notify: 192.0.2.11 NOKEY"))
        let nsdConf = directory.appendingPathComponent("nsd.conf")
        try nsd.stdout.write(to: nsdConf, atomically: true, encoding: .utf8)
        let nsdCheck = try PeerTool.run("nsd-checkconf", [nsdConf.path])
        #expect(nsdCheck.status == 0, "\(nsdCheck.output)\n\(nsd.stdout)")

        // The DoT identity for NSD: the registry's DoT certificate and its own key, the key 0600.
        let dot = directory.appendingPathComponent("dot").path
        let withDoT = try CACommandTests.iotreg(
            ["zone", "secondary", "--software", "nsd", "--data", data, "--dot-identity", dot] + primaries)
        try #require(withDoT.status == 0, "\(withDoT.output)")
        #expect(withDoT.stdout.contains("tls-service-key: \"\(dot)/dot.key\""), "\(withDoT.stdout)")
        let keyMode = try FileManager.default.attributesOfItem(atPath: dot + "/dot.key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let pair = try PeerTool.run("openssl", ["x509", "-in", dot + "/dot.pem", "-noout", "-pubkey"])
        let keyPublic = try PeerTool.run("openssl", ["pkey", "-in", dot + "/dot.key", "-pubout"])
        #expect(pair.status == 0 && pair.stdout == keyPublic.stdout, "the key is not the certificate's")

        let knot = try CACommandTests.iotreg(
            ["zone", "secondary", "--software", "knot", "--storage", directory.path, "--data", data] + primaries)
        #expect(knot.stdout.contains("master: [iotreg-primary-1, iotreg-primary-2]"))
        let knotConf = directory.appendingPathComponent("knot.conf")
        try knot.stdout.write(to: knotConf, atomically: true, encoding: .utf8)
        let knotCheck = try PeerTool.run("knotc", ["-c", knotConf.path, "conf-check"])
        #expect(knotCheck.status == 0, "\(knotCheck.output)\n\(knot.stdout)")
    }

    @Test(.enabled(if: peers))
    func nsdServesValidatedAnswersAfterAChange() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-secondary")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let (httpPort, dnsPort, nsdPort) = (
            try CrashRecoveryTests.freePort(), try CrashRecoveryTests.freePort(), try CrashRecoveryTests.freePort()
        )
        let serve = try PeerProcess(
            executable: CrashRecoveryTests.binary.path,
            arguments: [
                "serve", "--data", data.path, "--http", "127.0.0.1:\(httpPort)", "--dns", "127.0.0.1:\(dnsPort)",
                "--notify", "127.0.0.1:\(nsdPort)",
            ])
        let base = URL(string: "http://127.0.0.1:\(httpPort)")!
        var peers = [serve]
        do {
            try await run(base: base, data: data, directory: directory, ports: (dnsPort, nsdPort)) { peers.append($0) }
        } catch {
            for peer in peers.reversed() { await peer.stopPeer() }
            throw error
        }
        for peer in peers.reversed() { await peer.stopPeer() }
    }

    func run(
        base: URL, data: URL, directory: URL, ports: (dns: Int, nsd: Int), started: (PeerProcess) -> Void
    ) async throws {
        let (d, dnsPort, nsdPort) = (directory.path, ports.dns, ports.nsd)
        try await CrashRecoveryTests.waitForHealth(base)

        // NSD's configuration: its own server section, and the zone part exactly as iotreg prints it.
        let secondary = try CACommandTests.iotreg([
            "zone", "secondary", "--software", "nsd", "--primary", "127.0.0.1:\(dnsPort)", "--storage",
            "\(d)/secondary.zone", "--data", data.path,
        ])
        try #require(secondary.status == 0, "\(secondary.output)")
        #expect(secondary.stdout.contains("algorithm: hmac-sha256") && secondary.stdout.contains("iotreg-xfr."))
        let conf = directory.appendingPathComponent("nsd.conf")
        try (PeerTool.nsdServerSection(port: nsdPort, directory: d) + secondary.stdout).write(
            to: conf, atomically: true, encoding: .utf8)
        let nsd = try PeerProcess(
            executable: URL(fileURLWithPath: try #require(PeerTool.path(of: "nsd"))).path,
            arguments: ["-d", "-c", conf.path])
        started(nsd)
        let apex = "iotregistry.test."
        let loaded = try await eventually(["@127.0.0.1", "-p", "\(nsdPort)", apex, "SOA"]) {
            $0.contains("NOERROR") && $0.contains("\tSOA\t")
        }
        let nsdLog = { (try? String(contentsOfFile: "\(d)/nsd.log", encoding: .utf8)) ?? "" }
        try #require(loaded.contains("\tSOA\t"), "NSD did not transfer the zone: \(loaded)\n\(nsdLog())")

        // Transfers need the TSIG key: without it the primary refuses, with it the zone comes whole.
        let plain = try await PeerTool.runDetached("kdig", ["@127.0.0.1", "-p", "\(dnsPort)", "AXFR", apex])
        #expect(plain.output.contains("REFUSED"), "\(plain.output)")
        let secret = try #require(
            secondary.stdout.split(separator: "\n").first { $0.contains("secret:") }?
                .split(separator: "\"").dropFirst().first)
        let signed = try await PeerTool.runDetached(
            "kdig", ["@127.0.0.1", "-p", "\(dnsPort)", "-y", "hmac-sha256:iotreg-xfr.:\(secret)", "AXFR", apex])
        #expect(signed.output.split(separator: "\n").filter { $0.contains("\tSOA\t") }.count == 2, "\(signed.output)")

        // A change through the REST API: an ASP onboarded with its certificate gets its TLSA in the zone.
        let key = "\(d)/asp.key"
        let pem = "\(d)/asp.pem"
        let made = try PeerTool.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                "-out", pem, "-days", "30", "-subj", "/CN=parkoserv.iotregistry.test", "-addext",
                "subjectAltName=DNS:parkoserv.iotregistry.test",
            ])
        try #require(made.status == 0, "\(made.output)")
        let token = try String(contentsOf: data.appendingPathComponent("operator.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let onboarded = try await CrashRecoveryTests.call(
            "POST", base.appendingPathComponent("v1/asps"), token: token,
            json: [
                "name": "ParkoServ", "fqdn": "parkoserv.iotregistry.test", "port": 8883,
                "serverCertificate": try String(contentsOfFile: pem, encoding: .utf8),
            ])
        #expect(onboarded.0 == 201, "\(onboarded.1)")
        let name = "_8883._tcp.parkoserv.iotregistry.test."
        let answer = try await eventually(["@127.0.0.1", "-p", "\(nsdPort)", "+dnssec", name, "TLSA"]) {
            $0.contains("NOERROR") && $0.contains("TLSA\t3 1 1")
        }
        #expect(answer.contains("TLSA\t3 1 1") && answer.contains("RRSIG\tTLSA 13"), "\(answer)\n\(nsdLog())")

        // delv validates NSD's answer from the trust anchor iotreg prints.
        let anchor = try ZoneTrustAnchor(data: data, directory: directory)
        let delv = try await PeerTool.runDetached(
            "delv",
            ["@127.0.0.1", "-p", "\(nsdPort)", "-a", anchor.delvFile.path, "+root=iotregistry.test", name, "TLSA"])
        #expect(delv.output.contains("; fully validated"), "\(delv.output)")
    }
}
