import DNSSEC
import DNSServer
import DNSWire
import Foundation
import NIOCore
import PeerTesting
import Testing

/// AXFR (RFC 5936), IXFR (RFC 1995), TSIG (RFC 8945) and NOTIFY (RFC 1996) against kdig, zone verifiers and NSD.
@Suite struct ZoneTransferPeerTests {
    /// The zone text kdig printed, without comments and without the closing SOA.
    static func zoneText(_ kdigOutput: String) -> String {
        var lines = kdigOutput.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }
        if let last = lines.last, last.contains("\tSOA\t") { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(.enabled(if: PeerTool.isAvailable("kdig") && PeerTool.isAvailable("ldns-verify-zone")))
    func axfrVerifiesWithLdnsAndBind() async throws {
        let zone = try TestZone.signed(devices: 200)
        let h = try await ServerHarness.start(zone) {
            $0.transferAccess = TransferAccess(allowedAddresses: ["127.0.0.1"])
        }
        defer { Task { await h.stop() } }
        let out = try await h.kdig(["-p", h.tcp, "AXFR", TestZone.apex.description])
        let text = Self.zoneText(out)
        let soaCount = out.split(separator: "\n").filter { $0.contains("\tSOA\t") }.count
        #expect(soaCount == 2, "\(out.suffix(500))")
        let records = try ZoneFileReader(origin: TestZone.apex).read(text)
        #expect(records.count == zone.records.count)
        let file = try h.write("axfr.zone", text)
        let ldns = try await PeerTool.runDetached("ldns-verify-zone", [file])
        #expect(ldns.status == 0, "\(ldns.output)")
        let bind = try await PeerTool.runDetached("dnssec-verify", ["-o", "iotregistry.test", file])
        #expect(bind.status == 0, "\(bind.output)")
        // Over UDP an AXFR is refused; without the address on the list it is refused too.
        let udp = try await h.kdig(["-p", h.udp, "+notcp", "AXFR", TestZone.apex.description])
        #expect(!udp.contains("\tSOA\t"), "\(udp)")
        await h.stop()
        let closed = try await ServerHarness.start(zone)
        let refused = try await closed.kdig(["-p", closed.tcp, "AXFR", TestZone.apex.description])
        #expect(refused.contains("REFUSED"), "\(refused)")
        await closed.stop()
    }

    @Test(.enabled(if: PeerTool.isAvailable("kdig")))
    func ixfrFromTheJournalAndTSIG() async throws {
        var zone = try TestZone.signed(devices: 20)
        let secret = TestZone.fakeBytes(99, count: 32)
        let key = try TSIGKey(name: try DNSName("xfr-key."), secret: secret)
        let h = try await ServerHarness.start(zone) { $0.transferAccess = TransferAccess(tsigKeys: [key]) }
        defer { Task { await h.stop() } }
        let y = "hmac-sha256:xfr-key:" + Data(secret).base64EncodedString()
        let old = zone.serial
        let added = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(500)))
        try await h.server.publish(zone, diff: added)
        let removal = try zone.apply(ZoneChange(removedNames: [try TestZone.certName(3)]))
        try await h.server.publish(zone, diff: removal)
        let ixfr = try await h.kdig(["-p", h.tcp, "-y", y, "IXFR=\(old)", TestZone.apex.description])
        #expect(ixfr.contains(try TestZone.tlsaName(500).description), "\(ixfr)")
        #expect(ixfr.contains(" \(old) ") || ixfr.contains("\t\(old)\t") || ixfr.contains("\(old) 3600"), "\(ixfr)")
        #expect(!ixfr.contains("TSIG") || !ixfr.contains("failed"), "\(ixfr)")
        let soas = ixfr.split(separator: "\n").filter { $0.contains("\tSOA\t") }.count
        #expect(soas == 6, "\(ixfr)")
        let axfr = try await h.kdig(["-p", h.tcp, "-y", y, "AXFR", TestZone.apex.description])
        #expect(axfr.split(separator: "\n").filter { $0.contains("\tSOA\t") }.count == 2, "\(axfr.suffix(400))")
        // No key, or the wrong key: no transfer.
        let none = try await h.kdig(["-p", h.tcp, "AXFR", TestZone.apex.description])
        #expect(none.contains("REFUSED"), "\(none)")
        let wrong = "hmac-sha256:xfr-key:" + Data(TestZone.fakeBytes(1, count: 32)).base64EncodedString()
        let bad = try await h.kdig(["-p", h.tcp, "-y", wrong, "AXFR", TestZone.apex.description])
        #expect(!bad.contains("\tSOA\t"), "\(bad)")
        await h.stop()
    }

    /// Runs `tool` as a secondary of our server and checks that it takes AXFR, then IXFR after a NOTIFY, and serves
    /// the new device's signed TLSA. `config` writes the tool's configuration for (its port, our port, the directory).
    func secondaryFollows(
        _ tool: String, log: String, arguments: (String) -> [String],
        incremental: (String) -> Bool = { $0.contains("IXFR") },
        config: (Int, Int, String) -> String
    ) async throws {
        var zone = try TestZone.signed(devices: 10)
        let port = try TestZone.freePort()
        let h = try await ServerHarness.start(zone) {
            $0.transferAccess = TransferAccess(allowedAddresses: ["127.0.0.1"])
            $0.notifyTargets = [try! .init(ipAddress: "127.0.0.1", port: port)]
        }
        defer { Task { await h.stop() } }
        let d = h.dir.path
        let conf = try h.write("\(tool).conf", config(port, h.ports.tcp ?? 0, d))
        let process = try PeerProcess(
            executable: URL(fileURLWithPath: try #require(PeerTool.path(of: tool))).path,
            arguments: arguments(conf))
        defer { if process.isRunning { Task { await process.stopPeer() } } }

        func ask(_ name: String, _ type: String) async throws -> String {
            try await PeerTool.runDetached(
                "kdig", ["@127.0.0.1", "-p", String(port), "+dnssec", "+timeout=1", "+retry=0", name, type], timeout: 10
            ).output
        }
        let serial = " \(zone.serial) "
        var got = ""
        for _ in 0..<60 where !got.contains(serial) {
            got = try await ask("iotregistry.test.", "SOA")
            if !got.contains(serial) { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(got.contains(serial), "\(tool) did not load the zone by AXFR: \(got)")

        // Publishing to the store is enough: the server NOTIFYs, the secondary asks for IXFR.
        let added = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(77)))
        try h.server.store.publish(zone, diff: added)
        let name = try TestZone.tlsaName(77).description
        var answer = ""
        for _ in 0..<60 where !answer.contains("TLSA\t3 1 1") {
            answer = try await ask(name, "TLSA")
            if !answer.contains("TLSA\t3 1 1") { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(answer.contains("TLSA\t3 1 1") && answer.contains("RRSIG\tTLSA 13"), "\(answer)")
        // And the same again with the acknowledged NOTIFY of DNSServer.publish: a removal, proven by NSEC.
        let removed = try TestZone.certName(3)
        let removal = try zone.apply(ZoneChange(removedNames: [removed]))
        let acks = try await h.server.publish(zone, diff: removal)
        #expect(acks == 1)
        var gone = ""
        for _ in 0..<60 where !gone.contains("NXDOMAIN") {
            gone = try await ask(removed.description, "CERT")
            if !gone.contains("NXDOMAIN") { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(gone.contains("status: NXDOMAIN") && gone.contains("NSEC\t"), "\(gone)")
        let logText = (try? String(contentsOfFile: "\(d)/\(log)", encoding: .utf8)) ?? ""
        #expect(incremental(logText), "no sign of IXFR in the \(tool) log: \(logText)")
        await process.stopPeer()
        await h.stop()
    }

    @Test(.enabled(if: PeerTool.isAvailable("nsd") && PeerTool.isAvailable("kdig")))
    func nsdSecondaryFollowsAXFRThenNotifyAndIXFR() async throws {
        // NSD's log does not name the transfer type; the size does: after the AXFR, each update is a small IXFR.
        let incremental: (String) -> Bool = { log in
            let sizes = log.split(separator: "\n").compactMap { line -> Int? in
                guard let r = line.range(of: " of "), let e = line.range(of: " bytes") else { return nil }
                return Int(line[r.upperBound..<e.lowerBound])
            }
            return sizes.count >= 2 && sizes.dropFirst().allSatisfy { $0 < sizes[0] / 2 }
        }
        try await secondaryFollows("nsd", log: "nsd.log", arguments: { ["-d", "-c", $0] }, incremental: incremental) {
            port, primary, d in
            PeerTool.nsdServerSection(port: port, directory: d) + """
                zone:
                  name: "iotregistry.test."
                  zonefile: "\(d)/secondary.zone"
                  request-xfr: 127.0.0.1@\(primary) NOKEY
                  allow-notify: 127.0.0.1 NOKEY

                """
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("knotd") && PeerTool.isAvailable("kdig")))
    func knotSecondaryFollowsAXFRThenNotifyAndIXFR() async throws {
        try await secondaryFollows("knotd", log: "knot.log", arguments: { ["-c", $0] }) { port, primary, d in
            """
            server:
              rundir: "\(d)"
              listen: 127.0.0.1@\(port)
            database:
              storage: "\(d)"
            log:
              - target: "\(d)/knot.log"
                any: info
            remote:
              - id: primary
                address: 127.0.0.1@\(primary)
            acl:
              - id: notify-from-primary
                address: 127.0.0.1
                action: notify
            zone:
              - domain: iotregistry.test.
                storage: "\(d)"
                file: "secondary.zone"
                master: primary
                acl: notify-from-primary

            """
        }
    }
}
