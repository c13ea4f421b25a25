import DNSSEC
import DNSServer
import DNSWire
import Foundation
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
        let h = try await ServerHarness.start(zone) { $0.transferAccess = TransferAccess(allowedAddresses: ["127.0.0.1"]) }
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
        try await h.server.publish(zone, diff: try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(500))))
        try await h.server.publish(
            zone, diff: try zone.apply(ZoneChange(removedNames: [try TestZone.certName(3)])))
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

    @Test(.enabled(if: PeerTool.isAvailable("nsd") && PeerTool.isAvailable("kdig")))
    func nsdSecondaryFollowsAXFRThenNotifyAndIXFR() async throws {
        var zone = try TestZone.signed(devices: 10)
        let nsdPort = try TestZone.freePort()
        let h = try await ServerHarness.start(zone) {
            $0.transferAccess = TransferAccess(allowedAddresses: ["127.0.0.1"])
            $0.notifyTargets = [try! .init(ipAddress: "127.0.0.1", port: nsdPort)]
        }
        defer { Task { await h.stop() } }
        let d = h.dir.path
        let conf = try h.write(
            "nsd.conf",
            """
            server:
              ip-address: 127.0.0.1
              port: \(nsdPort)
              do-ip6: no
              username: ""
              chroot: ""
              zonesdir: "\(d)"
              database: ""
              pidfile: "\(d)/nsd.pid"
              xfrdfile: "\(d)/xfrd.state"
              zonelistfile: "\(d)/zone.list"
              xfrdir: "\(d)"
              logfile: "\(d)/nsd.log"
              verbosity: 2
              server-count: 1
            remote-control:
              control-enable: no
            zone:
              name: "iotregistry.test."
              zonefile: "\(d)/secondary.zone"
              request-xfr: 127.0.0.1@\(h.tcp) NOKEY
              allow-notify: 127.0.0.1 NOKEY

            """)
        let nsd = Process()
        nsd.executableURL = URL(fileURLWithPath: try #require(PeerTool.path(of: "nsd")))
        nsd.arguments = ["-d", "-c", conf]
        nsd.standardOutput = FileHandle.nullDevice
        nsd.standardError = FileHandle.nullDevice
        try nsd.run()
        defer { if nsd.isRunning { nsd.terminate() } }

        func nsdSerial() async throws -> String {
            try await PeerTool.runDetached(
                "kdig", ["@127.0.0.1", "-p", String(nsdPort), "+short", "+timeout=1", "+retry=0", "iotregistry.test.", "SOA"],
                timeout: 10
            ).stdout
        }
        var got = ""
        for _ in 0..<60 where !got.contains(" \(zone.serial) ") {
            got = try await nsdSerial()
            if !got.contains(" \(zone.serial) ") { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(got.contains(" \(zone.serial) "), "NSD did not load the zone by AXFR: \(got)")

        let diff = try zone.apply(ZoneChange(additions: try TestZone.deviceRecords(77)))
        let acks = try await h.server.publish(zone, diff: diff)
        #expect(acks == 1)
        let name = try TestZone.tlsaName(77).description
        var answer = ""
        for _ in 0..<60 where !answer.contains("RRSIG\tTLSA") {
            answer = try await PeerTool.runDetached(
                "kdig", ["@127.0.0.1", "-p", String(nsdPort), "+dnssec", "+timeout=1", "+retry=0", name, "TLSA"],
                timeout: 10
            ).output
            if !answer.contains("RRSIG\tTLSA") { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(answer.contains("TLSA\t3 1 1") && answer.contains("RRSIG\tTLSA 13"), "\(answer)")
        let log = (try? String(contentsOfFile: "\(d)/nsd.log", encoding: .utf8)) ?? ""
        #expect(log.contains("IXFR") || log.contains("ixfr"), "\(log)")
        nsd.terminate()
        nsd.waitUntilExit()
        await h.stop()
    }
}
