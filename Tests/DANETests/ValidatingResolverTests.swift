import DANE
import DNSSEC
import DNSWire
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A transport that forwards to another and rewrites the response (an on-path attacker or a broken resolver).
struct TamperingTransport: DNSTransport {
    let inner: any DNSTransport
    let tamper: @Sendable (inout Message) -> Void
    func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        var m = try await inner.query(name, type)
        tamper(&m)
        return m
    }
}

/// Counts queries that reach the wire.
final class CountingTransport: DNSTransport, @unchecked Sendable {
    let inner: any DNSTransport
    let count = NIOLockedValueBox(0)
    init(_ inner: any DNSTransport) { self.inner = inner }
    func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        count.withLockedValue { $0 += 1 }
        return try await inner.query(name, type)
    }
}

@Suite struct ValidatingResolverTests {
    @Test func validatesATLSAAndProvesAbsence() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(1), ca: try TestCA())
        let zone = try await ZoneHarness(records: [device.tlsaRecord], ca: device.caForTests)
        defer { Task { await zone.stop() } }
        let resolver = zone.resolver()
        guard case .secure(let records, let ttl) = try await resolver.tlsa(device.name) else {
            Issue.record("expected secure")
            return
        }
        #expect(records == [Fixture.tlsa(device.certificate)])
        #expect(ttl > 0 && ttl <= 300)
        // NXDOMAIN: a device that was never published (or was removed).
        guard case .provenAbsent = try await resolver.tlsa(try Fixture.deviceName(Fixture.eid(99))) else {
            Issue.record("expected an NXDOMAIN proof")
            return
        }
        // NODATA: a name that exists without TLSA.
        guard case .provenAbsent = try await resolver.tlsa(try DNSName("ns1", origin: Fixture.apex)) else {
            Issue.record("expected a NODATA proof")
            return
        }
    }

    @Test func wrongTrustAnchorIsBogus() async throws {
        let zone = try await ZoneHarness(records: [], ca: try TestCA())
        defer { Task { await zone.stop() } }
        let other = try SignedZone(
            apex: Fixture.apex, records: zone.zone.records.filter { $0.type == .soa || $0.type == .ns },
            keys: .generate())
        let resolver = zone.resolver(anchors: [try TrustAnchor(record: other.dsRecord)])
        let error = await #expect(throws: DANEError.self) {
            try await resolver.tlsa(try DNSName("_ca._device", origin: Fixture.apex))
        }
        #expect(error?.code == .bogus)
    }

    @Test func alteredDataIsBogusEvenWithTheADBit() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(2), ca: try TestCA())
        let zone = try await ZoneHarness(records: [device.tlsaRecord], ca: device.caForTests)
        defer { Task { await zone.stop() } }
        let attacker = TamperingTransport(inner: zone.dot()) { m in
            m.header.ad = true
            for i in m.answers.indices {
                if case .tlsa(var t) = m.answers[i].rdata {
                    t.data[0] ^= 0xFF
                    m.answers[i].rdata = .tlsa(t)
                }
            }
        }
        let resolver = zone.resolver(transport: attacker)
        let error = await #expect(throws: DANEError.self) { try await resolver.tlsa(device.name) }
        #expect(error?.code == .bogus)
    }

    @Test func strippedSignaturesAndForgedNXDOMAINAreBogus() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(3), ca: try TestCA())
        let zone = try await ZoneHarness(records: [device.tlsaRecord], ca: device.caForTests)
        defer { Task { await zone.stop() } }
        let stripper = TamperingTransport(inner: zone.dot()) { m in
            if m.questions.first?.type == .tlsa { m.answers.removeAll { $0.type == .rrsig } }
        }
        let e1 = await #expect(throws: DANEError.self) {
            try await zone.resolver(transport: stripper).tlsa(device.name)
        }
        #expect(e1?.code == .bogus)
        // An attacker answers NXDOMAIN for an existing device, with no proof: must not read as "revoked".
        let forger = TamperingTransport(inner: zone.dot()) { m in
            if m.questions.first?.type == .tlsa {
                m.answers = []
                m.responseCode = .nxDomain
            }
        }
        let e2 = await #expect(throws: DANEError.self) { try await zone.resolver(transport: forger).tlsa(device.name) }
        #expect(e2?.code == .bogus)
    }

    @Test func namesOutsideTheAnchorsAreRefused() async throws {
        let zone = try await ZoneHarness(records: [], ca: try TestCA())
        defer { Task { await zone.stop() } }
        let error = await #expect(throws: DANEError.self) { try await zone.resolver().tlsa(try DNSName("x.example.")) }
        #expect(error?.code == .noTrustAnchor)
    }

    @Test func cachesWithinTheTTLAndNoLonger() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(4), ca: try TestCA())
        let zone = try await ZoneHarness(records: [device.tlsaRecord], ca: device.caForTests)
        defer { Task { await zone.stop() } }
        let clock = NIOLockedValueBox(Date())
        let counter = CountingTransport(zone.dot())
        let resolver = ValidatingResolver(
            trustAnchors: zone.anchors, transport: counter, now: { clock.withLockedValue { $0 } })
        _ = try await resolver.tlsa(device.name)
        #expect(counter.count.withLockedValue { $0 } == 2)  // DNSKEY + TLSA
        clock.withLockedValue { $0 += 299 }
        guard case .secure(_, let ttl) = try await resolver.tlsa(device.name) else { Issue.record("secure"); return }
        #expect(ttl <= 1)
        #expect(counter.count.withLockedValue { $0 } == 2)
        clock.withLockedValue { $0 += 2 }
        _ = try await resolver.tlsa(device.name)
        #expect(counter.count.withLockedValue { $0 } == 3)  // the TLSA again; the DNSKEY (TTL 3600) still cached
        // Concurrent misses share one query.
        await resolver.flush()
        async let a = resolver.tlsa(try Fixture.deviceName(Fixture.eid(77)))
        async let b = resolver.tlsa(try Fixture.deviceName(Fixture.eid(77)))
        _ = try await (a, b)
        #expect(counter.count.withLockedValue { $0 } == 5)
    }

    @Test func neverCachesBeyondTheSignatureExpiry() async throws {
        let device = try SimulatedDevice(eid: Fixture.eid(5), ca: try TestCA())
        let zone = try await ZoneHarness(records: [device.tlsaRecord], ca: device.caForTests)
        defer { Task { await zone.stop() } }
        // Move the clock to 100 s before the TLSA's RRSIG expires: the entry may live 100 s, not the TTL's 300.
        guard let sig = zone.zone.rrset(device.name, .tlsa)?.signatures.first else { Issue.record("no RRSIG"); return }
        let clock = NIOLockedValueBox(Date(timeIntervalSince1970: Double(sig.expiration) - 100))
        let resolver = ValidatingResolver(
            trustAnchors: zone.anchors, transport: zone.dot(), now: { clock.withLockedValue { $0 } })
        guard case .secure(_, let ttl) = try await resolver.tlsa(device.name) else { Issue.record("secure"); return }
        #expect(ttl <= 100)
    }
}
