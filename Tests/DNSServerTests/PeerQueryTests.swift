import DNSSEC
import DNSServer
import DNSWire
import Foundation
import PeerTesting
import Testing

/// Queries over UDP, TCP and TLS answered by our server and checked by kdig, delv and unbound-host.
@Suite struct PeerQueryTests {
    @Test(.enabled(if: PeerTool.isAvailable("kdig") && PeerTool.isAvailable("openssl")))
    func kdigOverUDPTCPAndTLS() async throws {
        let zone = try TestZone.signed()
        let h = try await ServerHarness.start(zone, tls: true)
        defer { Task { await h.stop() } }
        let name = try TestZone.tlsaName(1).description
        let tlsPort = String(h.ports.tls ?? 0)
        for args in [["-p", h.udp], ["-p", h.tcp, "+tcp"], ["-p", tlsPort, "+tls"]] {
            let out = try await h.kdig(args + ["+dnssec", name, "TLSA"])
            #expect(out.contains("status: NOERROR"), "\(args): \(out)")
            #expect(out.contains("qr aa"), "\(args): \(out)")
            #expect(out.contains("TLSA\t3 1 1"), "\(args): \(out)")
            #expect(out.contains("RRSIG\tTLSA 13"), "\(args): \(out)")
        }
        // Several queries on one TCP connection (RFC 7766 §6.2.1): kdig sends them in sequence with +keepopen.
        let two = try await h.kdig([
            "-p", h.tcp, "+tcp", "+keepopen", name, "TLSA", "+dnssec", TestZone.apex.description, "SOA",
        ])
        #expect(two.components(separatedBy: "status: NOERROR").count == 3, "\(two)")
        let nx = try await h.kdig(["-p", h.udp, "+dnssec", try TestZone.certName(1, rpid: 999).description, "CERT"])
        #expect(nx.contains("status: NXDOMAIN"), "\(nx)")
        await h.stop()
    }

    @Test(.enabled(if: PeerTool.isAvailable("delv")))
    func delvValidatesPositiveWildcardAndNegativeAnswers() async throws {
        var zone = try TestZone.signed()
        let h = try await ServerHarness.start(zone)
        defer { Task { await h.stop() } }
        let ds = TestZone.ds(zone)
        let verdict = #/(?m)^; (negative response, )?fully validated/#
        let pos = try await h.delv(try TestZone.tlsaName(1), "TLSA", ds: ds)
        #expect(pos.contains("; fully validated") && !pos.contains("negative"), "\(pos)")
        // No device of that EID: the DANE-TA wildcard answers, proven by NSEC (RFC 4035 §3.1.3.3).
        let wild = try await h.delv(try TestZone.tlsaName(4242), "TLSA", ds: ds)
        #expect(wild.contains("; fully validated") && wild.contains("2 0 1"), "\(wild)")
        // Remove device 2: its profile name disappears and the NSEC chain proves it.
        let removed = try TestZone.certName(2)
        let removal = try zone.apply(ZoneChange(removedNames: [removed]))
        try await h.server.publish(zone, diff: removal)
        let neg = try await h.delv(removed, "CERT", ds: ds)
        #expect(neg.contains("; negative response, fully validated"), "\(neg)")
        let nodata = try await h.delv(try TestZone.tlsaName(1), "A", ds: ds)
        #expect(nodata.contains(verdict), "\(nodata)")
        let bogus = try await h.delv(
            try TestZone.tlsaName(1), "TLSA", ds: "12345 13 2 " + String(repeating: "00", count: 32))
        #expect(!bogus.contains("fully validated"), "\(bogus)")
        await h.stop()
    }

    @Test(.enabled(if: PeerTool.isAvailable("unbound-host")))
    func unboundHostSaysSecure() async throws {
        let zone = try TestZone.signed()
        let h = try await ServerHarness.start(zone)
        defer { Task { await h.stop() } }
        let ds = TestZone.ds(zone)
        let pos = try await h.unboundHost(try TestZone.tlsaName(3), "TLSA", ds: ds)
        #expect(pos.contains("has TLSA record 3 1 1") && pos.contains("(secure)"), "\(pos)")
        let neg = try await h.unboundHost(try TestZone.certName(3, rpid: 77), "CERT", ds: ds)
        #expect(neg.contains("NXDOMAIN") && neg.contains("(secure)"), "\(neg)")
        await h.stop()
    }

    /// unbound as a validating resolver (peer-tools.md §5) with a stub zone to our server: the AD bit on a device's
    /// TLSA and on the NXDOMAIN of a name that was removed after the resolver had started.
    @Test(.enabled(if: PeerTool.isAvailable("unbound") && PeerTool.isAvailable("kdig")))
    func unboundResolverSetsAD() async throws {
        var zone = try TestZone.signed()
        let h = try await ServerHarness.start(zone)
        defer { Task { await h.stop() } }
        let port = try TestZone.freePort()
        let conf = try h.write(
            "unbound.conf",
            try PeerTool.unboundConfiguration(
                directory: h.dir, ds: TestZone.ds(zone), stubPort: h.ports.udp ?? 0, listenPort: port))
        let unbound = try PeerProcess(
            executable: URL(fileURLWithPath: try #require(PeerTool.path(of: "unbound"))).path,
            arguments: ["-d", "-c", conf])
        defer { if unbound.isRunning { Task { await unbound.stopPeer() } } }
        func ask(_ name: DNSName, _ type: String) async throws -> String {
            try await PeerTool.runDetached(
                "kdig",
                ["@127.0.0.1", "-p", String(port), "+dnssec", "+timeout=2", "+retry=0", name.description, type],
                timeout: 20
            ).output
        }
        let name = try TestZone.tlsaName(2)
        var pos = ""
        for _ in 0..<40 where !pos.contains("status: NOERROR") {
            pos = try await ask(name, "TLSA")
            if !pos.contains("status: NOERROR") { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(pos.contains("status: NOERROR") && pos.contains(" ad;") && pos.contains("TLSA\t3 1 1"), "\(pos)")
        let removed = try TestZone.certName(4)
        let removal = try zone.apply(ZoneChange(removedNames: [removed]))
        try h.server.store.publish(zone, diff: removal)
        let neg = try await ask(removed, "CERT")
        #expect(neg.contains("status: NXDOMAIN") && neg.contains(" ad;"), "\(neg)")
        await unbound.stopPeer()
        await h.stop()
    }
}
