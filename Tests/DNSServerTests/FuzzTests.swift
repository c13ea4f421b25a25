import DNSSEC
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import PeerTesting
import Testing

@testable import DNSServer

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

    /// The whole request path (TSIG parsing, transfers, queries) on both transports, with records in every section:
    /// compression loops, wrong counts, oversize lengths and TSIG-looking trailers.
    @Test func requestProcessorSurvivesMutatedPackets() throws {
        let zone = try TestZone.signed(devices: 3)
        let key = try TSIGKey(name: try DNSName("xfr-key."), secret: TestZone.fakeBytes(5, count: 32))
        let processor = RequestProcessor(
            store: ZoneStore(zone), responder: QueryResponder(), transfer: ZoneTransfer(),
            access: TransferAccess(tsigKeys: [key], allowedAddresses: ["127.0.0.1"]))
        var rng = Rng(s: 0xF00D_CAFE)
        // A TSIG record appended to a query (the MAC is garbage), and a compression pointer to itself.
        var tsigged = TestZone.query(zone.apex, .axfr, dnssec: false).encode()
        tsigged[11] = 1
        tsigged += [7] + Array("xfr-key".utf8) + [0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 30]
        tsigged +=
            [11] + Array("hmac-sha256".utf8) + [0, 0, 0, 0, 0, 0, 1, 1, 44, 0, 4, 1, 2, 3, 4, 0x12, 0x34, 0, 0, 0, 0]
        let loop: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: 53)
        var seeds = try Self.packets(3000)
        seeds += [tsigged, loop]
        for i in 0..<3000 {
            var p = i % 2 == 0 ? tsigged : loop
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                p[Int.random(in: 0..<p.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            p[2] &= 0x7F
            seeds.append(p)
        }
        for p in seeds {
            for transport in [QueryResponder.Transport.udp, .stream] {
                for out in processor.process(p, remote: remote, transport: transport) {
                    let m = try Message(wire: out)
                    #expect(m.header.qr)
                    #expect(transport == .stream || out.count <= 1232)
                }
            }
        }
    }

    /// Garbage frames on a TCP connection, and a frame announced longer than what is sent: the connection is
    /// closed or left to time out, and the server keeps answering others.
    @Test(.enabled(if: PeerTool.isAvailable("kdig")))
    func tcpGarbageDoesNotStopTheServer() async throws {
        let zone = try TestZone.signed(devices: 3)
        let h = try await ServerHarness.start(zone) { $0.idleTimeout = .milliseconds(500) }
        defer { Task { await h.stop() } }
        var rng = Rng(s: 77)
        for _ in 0..<20 {
            let ch = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: h.ports.tcp ?? 0).get()
            var frame: [UInt8] = []
            for p in try Self.packets(30) {
                frame += [UInt8(p.count >> 8), UInt8(p.count & 0xFF)] + p
            }
            frame += [0xFF, 0xFF] + (0..<100).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try? await ch.writeAndFlush(ch.allocator.buffer(bytes: frame))
            try? await ch.close()
        }
        let out = try await h.kdig(["-p", h.tcp, "+tcp", TestZone.apex.description, "SOA"])
        #expect(out.contains("status: NOERROR"), "\(out)")
        await h.stop()
    }

    @Test(.enabled(if: PeerTool.isAvailable("kdig")))
    func serverStillAnswersAfterAFlood() async throws {
        let zone = try TestZone.signed(devices: 3)
        let h = try await ServerHarness.start(zone)
        defer { Task { await h.stop() } }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: h.ports.udp ?? 0)
        let ch = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.1", port: 0
        )
        .get()
        for (i, p) in try Self.packets(3000).enumerated() where !p.isEmpty {
            ch.write(AddressedEnvelope(remoteAddress: target, data: ch.allocator.buffer(bytes: p)), promise: nil)
            if i % 100 == 0 {
                try await ch.writeAndFlush(
                    AddressedEnvelope(remoteAddress: target, data: ch.allocator.buffer(bytes: p)))
            }
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
