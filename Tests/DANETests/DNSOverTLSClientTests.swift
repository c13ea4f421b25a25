import DANE
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite struct DNSOverTLSClientTests {
    @Test func queriesOverTLSWithDOAndReusesTheConnection() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(1), ca: try TestCA())
        let zone = try await ZoneHarness(records: [device.tlsaRecord], ca: device.caForTests)
        defer { Task { await zone.stop() } }
        let dot = zone.dot()
        let first = try await dot.query(device.name, .tlsa)
        #expect(first.responseCode == .noError)
        #expect(first.answers.contains { $0.type == .tlsa })
        #expect(first.answers.contains { $0.type == .rrsig }, "DO must bring the RRSIG")
        async let a = dot.query(device.name, .tlsa)
        async let b = dot.query(Fixture.apex, .dnskey)
        let (ra, rb) = try await (a, b)
        #expect(ra.answers.contains { $0.type == .tlsa })
        #expect(rb.answers.contains { $0.type == .dnskey })
        #expect(dot.connectionsOpened == 1)
        await dot.close()
        _ = try await dot.query(Fixture.apex, .soa)
        #expect(dot.connectionsOpened == 2)
        await dot.close()
    }

    @Test func refusesAResolverWhoseKeyIsNotPinned() async throws {
        let zone = try await ZoneHarness(records: [], ca: try TestCA())
        defer { Task { await zone.stop() } }
        let dot = zone.dot(pin: [UInt8](repeating: 0xAB, count: 32))
        let error = await #expect(throws: DANEError.self) { try await dot.query(Fixture.apex, .soa) }
        #expect(error?.code == .pinMismatch)
    }

    @Test func timesOutOnASilentServer() async throws {
        // A TCP listener that never speaks TLS: the handshake must time out, not hang.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let dot = DNSOverTLSClient(
            .init(
                host: "127.0.0.1", port: silent.localAddress?.port ?? 0, spkiSHA256Pins: [[]],
                connectTimeout: .milliseconds(300), queryTimeout: .milliseconds(300)))
        let error = await #expect(throws: DANEError.self) { try await dot.query(Fixture.apex, .soa) }
        #expect(error?.code == .timeout)
    }

    @Test func connectionRefusedIsReported() async throws {
        let dot = DNSOverTLSClient(.init(host: "127.0.0.1", port: 1, spkiSHA256Pins: [[]]))
        let error = await #expect(throws: DANEError.self) { try await dot.query(Fixture.apex, .soa) }
        #expect(error?.code == .connectionFailed)
    }
}

extension SimulatedDevice {
    /// Tests that need only a zone use a throw-away CA for the `_ca._device` record.
    var caForTests: TestCA { try! TestCA() }
}
