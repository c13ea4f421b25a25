import ASPKit
import Crypto
import DANE
import DNSSEC
import DNSWire
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A transport that counts the questions that reach the DNS server.
final class QuestionLogTransport: DNSTransport {
    struct Question: Hashable, Sendable {
        var name: DNSName
        var type: RecordType
    }
    let inner: any DNSTransport
    private let asked = NIOLockedValueBox<[Question]>([])

    init(_ inner: any DNSTransport) { self.inner = inner }

    func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        asked.withLockedValue { $0.append(Question(name: name, type: type)) }
        return try await inner.query(name, type)
    }

    var questions: [Question] { asked.withLockedValue { $0 } }
}

/// A transport whose first TLSA query for one name times out, as a query to a reloading secondary can.
final class FailingOnceTransport: DNSTransport {
    let inner: any DNSTransport
    let name: DNSName
    private let failed = NIOLockedValueBox(0)

    init(_ inner: any DNSTransport, failing name: DNSName) {
        self.inner = inner
        self.name = name
    }

    func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        let fail = failed.withLockedValue { count in
            guard name == self.name, type == .tlsa, count == 0 else { return false }
            count += 1
            return true
        }
        if fail { throw DANEError(.timeout, "no answer for \(name) TLSA (test)") }
        return try await inner.query(name, type)
    }

    var failures: Int { failed.withLockedValue { $0 } }
}

/// The ASP middleware re-checks a refusal (substitutedKey, revoked) once against a fresh lookup, so a device that
/// renewed its certificate is admitted at once rather than after the cached TLSA's TTL; at most once a second per
/// name, so a stream of bad certificates does not become a stream of queries.
@Suite struct RefusalRefreshTests {
    /// A zone with devices 0 and 1 published (certificates `a` and `x`), and an authenticator counting upstream
    /// questions.
    struct Setup {
        let ca: TestCA
        let zone: ZoneHarness
        let transport: QuestionLogTransport
        let authenticator: DANEClientAuthenticator
        let a: [UInt8]
        let x: [UInt8]

        init() async throws {
            ca = try TestCA()
            a = try ca.device(eid: Fixture.eid(0), publicKey: P256.Signing.PrivateKey().publicKey)
            x = try ca.device(eid: Fixture.eid(1), publicKey: P256.Signing.PrivateKey().publicKey)
            zone = try await ZoneHarness(
                records: [
                    ResourceRecord(
                        name: try Fixture.deviceName(Fixture.eid(0)), ttl: 300, rdata: .tlsa(Fixture.tlsa(a))),
                    ResourceRecord(
                        name: try Fixture.deviceName(Fixture.eid(1)), ttl: 300, rdata: .tlsa(Fixture.tlsa(x))),
                ], ca: ca)
            transport = QuestionLogTransport(zone.dot())
            authenticator = DANEClientAuthenticator(
                zone: Fixture.apex, resolver: zone.resolver(transport: transport))
        }

        func certificate(_ i: Int) throws -> [UInt8] {
            try ca.device(eid: Fixture.eid(i), publicKey: P256.Signing.PrivateKey().publicKey)
        }

        /// Replaces the TLSA of device `i` (`old`) by one for `new`.
        func replace(_ i: Int, _ old: [UInt8], by new: [UInt8]) async throws {
            let name = try Fixture.deviceName(Fixture.eid(i))
            try await zone.publish(
                ZoneChange(
                    removals: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(old)))],
                    additions: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(new)))]))
        }

        /// The TLSA questions for device `i` that reached the server so far.
        func tlsaQuestions(_ i: Int) throws -> Int {
            let name = try Fixture.deviceName(Fixture.eid(i))
            return transport.questions.filter { $0.name == name && $0.type == .tlsa }.count
        }
    }

    @Test func aRenewedCertificateIsAdmittedAtTheFirstAttemptDespiteTheCachedTLSA() async throws {
        let s = try await Setup()
        defer { Task { await s.zone.stop() } }
        guard case .admitted = await s.authenticator.evaluate(chain: [s.a, s.ca.der]) else {
            Issue.record("certificate A should be admitted")
            return
        }
        #expect(try s.tlsaQuestions(0) == 1)
        // Cached: A again asks nothing.
        #expect(await s.authenticator.evaluate(chain: [s.a]).isAdmitted)
        #expect(try s.tlsaQuestions(0) == 1)

        let b = try s.certificate(0)
        try await s.replace(0, s.a, by: b)
        let event = await s.authenticator.evaluate(chain: [b, s.ca.der])
        guard case .admitted(let eid, _, let matched) = event else {
            Issue.record("certificate B should be admitted at the first attempt, got \(event)")
            return
        }
        #expect(eid == Fixture.eid(0))
        #expect(matched == Fixture.tlsa(b))
        // One fresh TLSA question, and the zone's keys came from the cache.
        #expect(try s.tlsaQuestions(0) == 2)
        #expect(s.transport.questions.filter { $0.type == .dnskey }.count == 1)
        // B is now what the cache holds: no more questions.
        #expect(await s.authenticator.evaluate(chain: [b]).isAdmitted)
        #expect(try s.tlsaQuestions(0) == 2)
    }

    @Test func twoFirstAttemptsSharingOneStaleAnswerAreBothAdmitted() async throws {
        // A renewed device opening two sessions at once, right after the zone replaced its TLSA: both handshakes
        // get the old TLSA (here: one lookup, answered just before the zone changed, that both share). One of them
        // looks afresh and is admitted; the other, rate-limited, must not be refused on the answer being replaced.
        let ca = try TestCA()
        let a = try ca.device(eid: Fixture.eid(0), publicKey: P256.Signing.PrivateKey().publicKey)
        let b = try ca.device(eid: Fixture.eid(0), publicKey: P256.Signing.PrivateKey().publicKey)
        let name = try Fixture.deviceName(Fixture.eid(0))
        let zone = try await ZoneHarness(
            records: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(a)))], ca: ca)
        defer { Task { await zone.stop() } }
        let transport = HeldAnswerTransport(zone.dot(), holding: name)
        let authenticator = DANEClientAuthenticator(zone: Fixture.apex, resolver: zone.resolver(transport: transport))

        async let first = authenticator.evaluate(chain: [b])
        async let second = authenticator.evaluate(chain: [b])
        // The zone changes once the held answer (certificate A) has left the server and both evaluations wait
        // for it.
        try #require(await eventually { transport.isHolding })
        try await zone.publish(
            ZoneChange(
                removals: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(a)))],
                additions: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(b)))]))
        try #require(await eventually { await authenticator.resolver.statistics.misses >= 2 })
        transport.release()
        let events = await [first, second]

        #expect(events.filter(\.isAdmitted).count >= 1, "\(events)")
        #expect(events.filter { !$0.isAdmitted }.isEmpty, "\(events)")
    }

    @Test func aLookupThatTimedOutOnceIsAskedAgainBeforeARefusal() async throws {
        // Behind an NSD secondary reloading after each transfer, one TLSA query in a thousand went unanswered: the
        // renewed meter was refused (lookupFailed) although the next query would have answered.
        let s = try await Setup()
        defer { Task { await s.zone.stop() } }
        let flaky = FailingOnceTransport(s.transport, failing: try Fixture.deviceName(Fixture.eid(0)))
        let authenticator = DANEClientAuthenticator(zone: Fixture.apex, resolver: s.zone.resolver(transport: flaky))
        let event = await authenticator.evaluate(chain: [s.a, s.ca.der])
        #expect(event.isAdmitted, "\(event)")
        #expect(flaky.failures == 1)
        #expect(try s.tlsaQuestions(0) == 1, "the failed query never reached the server; the second one did")
    }

    @Test func aSecondRefusalWithinASecondAsksNothing() async throws {
        let s = try await Setup()
        defer { Task { await s.zone.stop() } }
        #expect(await s.authenticator.evaluate(chain: [s.x]).isAdmitted)
        #expect(try s.tlsaQuestions(1) == 1)

        let c = try s.certificate(1)
        let started = ContinuousClock.now
        guard case .refused(_, .substitutedKey, _) = await s.authenticator.evaluate(chain: [c]) else {
            Issue.record("certificate C should be refused as a substituted key")
            return
        }
        // The first refusal looked once more, afresh.
        #expect(try s.tlsaQuestions(1) == 2)
        guard case .refused(_, .substitutedKey, _) = await s.authenticator.evaluate(chain: [c]) else {
            Issue.record("certificate C should be refused again")
            return
        }
        // The rule is about the second refusal coming within a second of the first refresh; on a machine so
        // loaded that it did not, a second refresh would be allowed, so only then is the count not asserted.
        if ContinuousClock.now - started < .seconds(1) {
            #expect(try s.tlsaQuestions(1) == 2)
        }
        // The legitimate certificate is still admitted from the cache.
        #expect(await s.authenticator.evaluate(chain: [s.x]).isAdmitted)
        #expect(try s.tlsaQuestions(1) <= 3)
    }

    @Test func aFloodOfBadCertificatesForOneNameAsksAtMostOncePerSecond() async throws {
        let s = try await Setup()
        defer { Task { await s.zone.stop() } }
        #expect(await s.authenticator.evaluate(chain: [s.x]).isAdmitted)
        let forged = try (0..<20).map { _ in try s.certificate(1) }
        let started = ContinuousClock.now
        for c in forged {
            guard case .refused(_, .substitutedKey, _) = await s.authenticator.evaluate(chain: [c]) else {
                Issue.record("a forged certificate was not refused as a substituted key")
                return
            }
        }
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        // One initial lookup, then at most one refresh per started second.
        #expect(try s.tlsaQuestions(1) <= 2 + seconds)
        #expect(try s.tlsaQuestions(1) >= 2)
    }

    @Test func aReactivatedDeviceIsAdmittedDespiteTheCachedProofOfAbsence() async throws {
        let s = try await Setup()
        defer { Task { await s.zone.stop() } }
        let name = try Fixture.deviceName(Fixture.eid(2))
        // The ASP's cache holds the proof that device 2 has no TLSA (it looked before the device was activated).
        guard case .provenAbsent = try await s.authenticator.resolver.tlsa(name) else {
            Issue.record("device 2 should be proven absent")
            return
        }
        let d = try s.certificate(2)
        try await s.zone.publish(
            ZoneChange(additions: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(d)))]))
        let event = await s.authenticator.evaluate(chain: [d])
        #expect(event.isAdmitted, "got \(event)")
        #expect(try s.tlsaQuestions(2) == 2)
    }

    @Test func aRefusalForAnotherReasonDoesNotLookAgain() async throws {
        // Only substitutedKey and revoked are re-checked: an unknown identity asks nothing at all.
        let s = try await Setup()
        defer { Task { await s.zone.stop() } }
        let outside = try s.ca.issue(
            publicKey: P256.Signing.PrivateKey().publicKey, commonName: "x",
            dnsNames: ["\(Fixture.eid(1))._device.example.test"], clientAuth: true)
        guard case .refused(nil, .unknown, _) = await s.authenticator.evaluate(chain: [outside]) else {
            Issue.record("expected unknown")
            return
        }
        #expect(s.transport.questions.isEmpty)
    }
}

/// Waits (up to about five seconds) until `condition` holds; false if it never did.
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<500 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A transport that holds back the first TLSA answer for one name (already fetched from the server) until
/// ``release()``, so a test can change the zone while that answer is on its way.
final class HeldAnswerTransport: DNSTransport {
    let inner: any DNSTransport
    let name: DNSName
    private let state = NIOLockedValueBox((held: false, holding: false))
    private let gate: AsyncStream<Void>
    private let opener: AsyncStream<Void>.Continuation

    init(_ inner: any DNSTransport, holding name: DNSName) {
        self.inner = inner
        self.name = name
        (gate, opener) = AsyncStream.makeStream()
    }

    var isHolding: Bool { state.withLockedValue { $0.holding } }

    func release() { opener.finish() }

    func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        let response = try await inner.query(name, type)
        let hold = state.withLockedValue { s in
            guard !s.held, type == .tlsa, name == self.name else { return false }
            s.held = true
            s.holding = true
            return true
        }
        if hold {
            for await _ in gate {}
        }
        return response
    }
}
