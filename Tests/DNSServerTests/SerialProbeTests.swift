import DNSSEC
import DNSServer
import DNSWire
import NIOCore
import NIOPosix
import Testing

/// A hidden primary learns what its secondaries serve by asking them for the zone's SOA (SecondaryWatch in iotreg).
@Suite struct SerialProbeTests {
    @Test("the probe reads the serial a server answers with authority; silence and foreign zones give nil")
    func readsTheServedSerial() async throws {
        let zone = try TestZone.signed(devices: 2)
        let harness = try await ServerHarness.start(zone)
        let probe = SerialProbe(group: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(2))
        let server = try SocketAddress(ipAddress: "127.0.0.1", port: harness.ports.udp ?? 0)
        #expect(await probe.serial(of: TestZone.apex, at: server) == zone.serial)
        // A zone the server does not serve: REFUSED, not a serial.
        #expect(await probe.serial(of: try DNSName("example.org."), at: server) == nil)
        await harness.stop()
        // Nobody listening any more: no answer within the timeout.
        #expect(await probe.serial(of: TestZone.apex, at: server) == nil)
    }
}
