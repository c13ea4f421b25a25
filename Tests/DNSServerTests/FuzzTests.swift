import DNSSEC
import DNSServer
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import PeerTesting
import Testing

/// Random and mutated packets: FORMERR or silence, never a trap or a hang; the server keeps answering.
@Suite struct FuzzTests {
    struct Rng: RandomNumberGenerator {
        var s: UInt64
        mutating func next() -> UInt64 {
            s ^= s << 13
            s ^= s >> 7
            s ^= s << 17
            return s
        }
    }

    static func packets(_ count: Int) throws -> [[UInt8]] {
        var rng = Rng(s: 0x5EED_1234_ABCD)
        let seeds = [
            TestZone.query(try TestZone.tlsaName(1), .tlsa).encode(),
            TestZone.query(TestZone.apex, .axfr).encode(),
            TestZone.query(try TestZone.certName(1), .cert, dnssec: false).encode(),
        ]
        return (0..<count).map { i in
            if i % 3 == 0 {
                return (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            var p = seeds[i % seeds.count]
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0: p[Int.random(in: 0..<p.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: p.removeLast(min(p.count - 1, Int.random(in: 1...4, using: &rng)))
                default: p.append(UInt8.random(in: 0...255, using: &rng))
                }
            }
            p[2] &= 0x7F  // keep them queries, so the server has to look at them
            return p
        }
    }

    @Test func responderSurvivesMutatedPackets() throws {
        let zone = try TestZone.signed(devices: 3)
        let responder = QueryResponder()
        for p in try Self.packets(5000) {
            guard let out = responder.respond(toWire: p, zone: zone, transport: .udp) else { continue }
            let m = try Message(wire: out)
            #expect(m.header.qr && out.count <= 1232)
            #expect(p.count < 2 || m.header.id == UInt16(p[0]) << 8 | UInt16(p[1]))
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("kdig")))
    func serverStillAnswersAfterAFlood() async throws {
        let zone = try TestZone.signed(devices: 3)
        let h = try await ServerHarness.start(zone)
        defer { Task { await h.stop() } }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: h.ports.udp ?? 0)
        let ch = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0)
            .get()
        for (i, p) in try Self.packets(3000).enumerated() where !p.isEmpty {
            ch.write(AddressedEnvelope(remoteAddress: target, data: ch.allocator.buffer(bytes: p)), promise: nil)
            if i % 100 == 0 { try await ch.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: ch.allocator.buffer(bytes: p))) }
        }
        ch.flush()
        try await ch.close()
        let out = try await h.kdig(["-p", h.udp, "+dnssec", try TestZone.tlsaName(1).description, "TLSA"])
        #expect(out.contains("status: NOERROR"), "\(out)")
        let tcp = try await h.kdig(["-p", h.tcp, "+tcp", TestZone.apex.description, "SOA"])
        #expect(tcp.contains("status: NOERROR"), "\(tcp)")
        await h.stop()
    }
}
