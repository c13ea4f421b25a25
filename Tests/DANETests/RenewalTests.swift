import Crypto
import DANE
import DNSSEC
import DNSWire
import DeviceAgent
import DeviceKit
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import PKI
import SwiftASN1
import Testing
import X509

/// The device renews its own certificate by EST `simplereenroll` (RFC 7030 §4.2.2) against a stand-in EST server:
/// what it sends, what it accepts, and that nothing changes for the current identity when renewal fails.
@Suite struct RenewalTests {
    /// A device agent of `scene` that may renew at `estURL`, trusting `registryRoot` for the EST server.
    ///
    /// The 60 s default only bounds a hung test: the suite's first seconds on two busy cores once kept the stand-in
    /// EST server from answering within 10 s. The timeout test passes its own short one.
    func agent(
        _ scene: Scene, _ i: Int = 0, chain: [[UInt8]]? = nil, keyID: UInt8 = IoTSafePersonalisation.clientKeyID,
        estURL: String?, registryRoot: [UInt8]?, timeout: TimeAmount = .seconds(60)
    ) throws -> DeviceAgent {
        let d = scene.devices[i]
        return try DeviceAgent(
            aspFQDN: Fixture.aspFQDN, aspPort: scene.port, connectHost: "127.0.0.1", certificateChain: chain ?? d.chain,
            identity: "\(d.eid)._device.iotregistry.test", iotSafe: d.client, keyID: keyID,
            resolver: scene.zone.resolver(), registryRoot: registryRoot, estURL: estURL, timeout: timeout)
    }

    /// An EST server whose certificate comes from `ca` (the scene's CA unless told) and names `sans`.
    func estServer(
        _ scene: Scene, ca: Issuer? = nil, sans: [GeneralName] = [.loopbackIP], acceptClient: Bool = true,
        answer: @escaping @Sendable (ESTRequestSeen) async -> ESTAnswer
    ) async throws -> StandInESTServer {
        let key = P256.Signing.PrivateKey()
        let certificate = try (ca ?? scene.ca.issuer).estServer(key: key, sans: sans)
        return try await StandInESTServer(
            certificateChain: [certificate], key: key, acceptClientCertificate: acceptClient, answer: answer)
    }

    /// What the registry does: certify the CSR's key for `eid` (or `certify` instead) with `ca`, and, when
    /// `publish`, replace the TLSA of the certificate the device authenticated with by the new one.
    static func issuing(
        _ scene: Scene, eid: String, ca: Issuer? = nil, certify other: Certificate.PublicKey? = nil,
        along extra: [Certificate] = [], publish: Bool = true
    ) -> @Sendable (ESTRequestSeen) async -> ESTAnswer {
        { request in
            do {
                guard let csr = request.csr, csr.publicKey.isValidSignature(csr.signature, for: csr) else {
                    return .problem(.badRequest, detail: "no valid PKCS#10 in the body")
                }
                let issued = try (ca ?? scene.ca.issuer).device(eid: eid, publicKey: other ?? csr.publicKey)
                if publish, let old = request.clientCertificate {
                    let name = try Fixture.deviceName(eid)
                    try await scene.zone.publish(
                        ZoneChange(
                            removals: [ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(old)))],
                            additions: [
                                ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(try issued.derBytes())))
                            ]))
                }
                return try .certsOnly([issued] + extra)
            } catch {
                return .problem(.internalServerError, detail: "stand-in failed: \(error)")
            }
        }
    }

    // MARK: - 1a: success, both ways between the two containers

    @Test func renewalMovesToTheOtherContainerAuthenticatedByTheOldCertificate() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let est = try await estServer(scene, answer: Self.issuing(scene, eid: device.eid))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        // The ASP admits (and caches the TLSA of) the old certificate first.
        let before = try await agent.connect()
        await before.close()

        let renewed = try await agent.renew(publicationTimeout: .seconds(10))

        let oldKey = Certificate.PublicKey(try device.client.signingPublicKey(IoTSafePersonalisation.clientKeyID))
        let newKey = Certificate.PublicKey(try device.client.signingPublicKey(IoTSafePersonalisation.spareKeyID))
        #expect(oldKey != newKey)
        #expect(agent.keyID == IoTSafePersonalisation.clientKeyID)
        #expect(renewed.keyID == IoTSafePersonalisation.spareKeyID)
        #expect(try Certificate(derEncoded: renewed.certificateChain[0]).publicKey == newKey)
        #expect(renewed.certificateChain.count == 2)
        #expect(renewed.certificateChain.last == scene.ca.der)
        #expect(renewed.identity == agent.identity)
        #expect(renewed.estURL == agent.estURL)
        #expect(renewed.registryRoot == scene.ca.der)

        // What the server saw: one simplereenroll over TLS authenticated by the OLD certificate, carrying a CSR for
        // and signed by the NEW key.
        let seen = est.requests
        try #require(seen.count == 1)
        #expect(seen[0].method == .POST)
        #expect(seen[0].uri == "/.well-known/est/simplereenroll")
        #expect(seen[0].contentType == "application/pkcs10")
        #expect(seen[0].clientCertificate == device.certificate)
        let csr = try #require(seen[0].csr)
        #expect(csr.publicKey == newKey)
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        #expect(!oldKey.isValidSignature(csr.signature, for: csr))

        // The zone now publishes the new key: the renewed agent self-attests, and the ASP admits it at the first
        // attempt although it had cached the old TLSA; the old agent no longer passes its own self-attestation.
        #expect(try await renewed.selfAttest() == Fixture.tlsa(renewed.certificateChain[0]))
        let after = try await renewed.connect()
        #expect(after.welcome == "WELCOME ParkoServ \(device.eid)")
        await after.close()
        let stale = await #expect(throws: DeviceAgentError.self) { try await agent.connect() }
        #expect(stale?.code == .selfAttestationFailed)

        // Renewing again goes back to container 1, authenticated by the certificate of container 2.
        let again = try await renewed.renew(publicationTimeout: .seconds(10))
        #expect(again.keyID == IoTSafePersonalisation.clientKeyID)
        let thirdKey = Certificate.PublicKey(try device.client.signingPublicKey(IoTSafePersonalisation.clientKeyID))
        #expect(thirdKey != oldKey)
        #expect(thirdKey != newKey)
        #expect(try Certificate(derEncoded: again.certificateChain[0]).publicKey == thirdKey)
        try #require(est.requests.count == 2)
        #expect(est.requests[1].clientCertificate == renewed.certificateChain[0])
        #expect(est.requests[1].csr?.publicKey == thirdKey)
        #expect(try await again.selfAttest() == Fixture.tlsa(again.certificateChain[0]))
    }

    @Test func anEstServerNamedByDNSNameIsAccepted() async throws {
        // The positive counterpart of `aServerForAnotherHostIsNotAuthenticated`: URL host and SAN dNSName agree.
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(
            scene, sans: [.dnsName("localhost")], answer: Self.issuing(scene, eid: scene.devices[0].eid))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(host: "localhost"), registryRoot: scene.ca.der)
        let renewed = try await agent.renew(publicationTimeout: .zero)
        #expect(renewed.keyID == IoTSafePersonalisation.spareKeyID)
    }

    @Test func aZoneThatHasNotPublishedYetOnlyDelaysSelfAttestation() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let est = try await estServer(scene, answer: Self.issuing(scene, eid: device.eid, publish: false))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let renewed = try await agent.renew(publicationTimeout: .zero)
        #expect(renewed.keyID == IoTSafePersonalisation.spareKeyID)
        let notYet = await #expect(throws: DeviceAgentError.self) { try await renewed.selfAttest() }
        #expect(notYet?.code == .selfAttestationFailed)
        #expect(notYet?.reason.contains("does not match") == true)
    }

    // MARK: - 1b, 1c: the server refuses, or answers something else than a certificate for the new key

    @Test func aRefusalIsRenewalFailedWithTheProblemDetailAndTheCurrentKeyStaysInUse() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let detail = "certificate 0x5eed is revoked; re-activate the device"
        let est = try await estServer(scene) { _ in .problem(.unauthorized, detail: detail) }
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let keyBefore = try device.client.signingPublicKey(IoTSafePersonalisation.clientKeyID)

        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }

        #expect(error?.code == .renewalFailed)
        #expect(error?.reason.contains(detail) == true)
        #expect(error?.reason.contains("401") == true)
        #expect(est.requests.count == 1)
        #expect(est.requests.first?.clientCertificate == device.certificate)
        // The key container in use, its key and the certificate are unchanged, and they still work.
        #expect(agent.keyID == IoTSafePersonalisation.clientKeyID)
        #expect(agent.certificateChain == device.chain)
        #expect(
            try device.client.signingPublicKey(IoTSafePersonalisation.clientKeyID).rawRepresentation
                == keyBefore.rawRepresentation)
        let connection = try await agent.connect()
        #expect(connection.welcome == "WELCOME ParkoServ \(device.eid)")
        await connection.close()
    }

    @Test func aCertificateForAnotherKeyIsRenewalFailed() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let other = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
        let est = try await estServer(scene, answer: Self.issuing(scene, eid: device.eid, certify: other))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .renewalFailed)
        #expect(error?.reason.contains("no certificate for the eSIM's new key") == true)
        #expect(agent.keyID == IoTSafePersonalisation.clientKeyID)
    }

    @Test func aCertificateForTheNewKeyFromAnotherCAIsRenewalFailed() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let rogue = try Issuer.root("Rogue CA")
        let est = try await estServer(scene, answer: Self.issuing(scene, eid: device.eid, ca: rogue, publish: false))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .renewalFailed)
        #expect(error?.reason.contains("does not chain to the registry root") == true)
    }

    @Test func aCertificateForTheNewKeyNamingAnotherDeviceIsRenewalFailed() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(scene, answer: Self.issuing(scene, eid: scene.devices[1].eid, publish: false))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .renewalFailed)
        #expect(error?.reason.contains("does not name") == true)
    }

    @Test func anAnswerThatIsNotPKCS7IsRenewalFailed() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(scene) { _ in
            ESTAnswer(status: .ok, contentType: "application/pkcs7-mime", body: Array("not base64 at all!".utf8))
        }
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .renewalFailed)
        #expect(error?.reason.contains("not a certs-only PKCS#7") == true)
    }

    // MARK: - 1d, 1e: the EST server must chain to the registry root and name the URL's host

    @Test func aServerChainingToAnotherRootIsNotAuthenticated() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let other = try Issuer.root("Another root")
        let est = try await estServer(scene, ca: other, answer: Self.issuing(scene, eid: scene.devices[0].eid))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .serverNotAuthenticated)
        #expect(error?.reason.contains("does not chain to the registry root") == true)
        #expect(est.requests.isEmpty)  // no CSR left the device
    }

    @Test func aServerForAnotherHostIsNotAuthenticated() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(
            scene, sans: [.dnsName("other.test")], answer: Self.issuing(scene, eid: scene.devices[0].eid))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(host: "localhost"), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .serverNotAuthenticated)
        #expect(error?.reason.contains("localhost") == true)
        #expect(est.requests.isEmpty)
    }

    @Test func aServerWithTheRightIPButNoSANForItIsNotAuthenticated() async throws {
        // URL host 127.0.0.1, certificate names only a DNS name: an IP host must match a SAN iPAddress.
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(
            scene, sans: [.dnsName("127.0.0.1")], answer: Self.issuing(scene, eid: scene.devices[0].eid))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .serverNotAuthenticated)
    }

    @Test func anUnreachableServerIsConnectionFailed() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(scene) { _ in .problem(.internalServerError, detail: "unused") }
        let url = est.url()
        await est.stop()
        let agent = try agent(scene, estURL: url, registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .connectionFailed)
    }

    @Test func aServerRefusingTheClientCertificateInTheHandshakeIsConnectionFailed() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(
            scene, acceptClient: false, answer: Self.issuing(scene, eid: scene.devices[0].eid))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .connectionFailed)
        #expect(est.requests.isEmpty)
        #expect(agent.keyID == IoTSafePersonalisation.clientKeyID)
    }

    @Test func aServerThatNeverAnswersIsConnectionFailedWithinTheTimeout() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(scene) { _ in
            try? await Task.sleep(for: .seconds(10))
            return .problem(.serviceUnavailable, detail: "too late")
        }
        defer { Task { await est.stop() } }
        let agent = try agent(
            scene, estURL: est.url(), registryRoot: scene.ca.der, timeout: .seconds(1))
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.reason.contains("did not answer in time") == true)
    }

    @Test func anOversizedAnswerIsRefusedAtTheLimit() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let est = try await estServer(scene) { _ in
            ESTAnswer(
                status: .ok, contentType: "application/pkcs7-mime", body: [UInt8](repeating: 0x41, count: 300_000))
        }
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let error = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        // ESTClient's ReplyCollector reports the limit as protocolError (renew's documentation lists only
        // badConfiguration, connectionFailed, serverNotAuthenticated and renewalFailed).
        #expect(error?.code == .protocolError)
        #expect(error?.reason.contains("exceeds 262144 bytes") == true)
    }

    @Test func aRetryAfterALostAnswerKeepsTheKeyTheRegistryCertified() async throws {
        // The registry issued (and revoked the old certificate) but the answer never reached the device. The
        // registry then refuses the old certificate; its new payload will name the certificate it issued, for the
        // key in the spare container, so that key must survive a retry.
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let certified = NIOLockedValueBox<Certificate.PublicKey?>(nil)
        let issue = Self.issuing(scene, eid: device.eid)
        let est = try await estServer(scene) { request in
            if certified.withLockedValue({ $0 }) == nil {
                _ = await issue(request)
                certified.withLockedValue { $0 = request.csr?.publicKey }
                return .problem(.badGateway, detail: "the answer was lost on the way")
            }
            return .problem(.unauthorized, detail: "the TLS client certificate is revoked")
        }
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        let lost = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(lost?.code == .renewalFailed)
        // The retry sees its spare key in the zone and keeps it, saying why, without asking the registry again.
        let retry = await #expect(throws: DeviceAgentError.self) { try await agent.renew(publicationTimeout: .zero) }
        #expect(retry?.code == .renewalFailed)
        #expect(retry?.reason.contains("already certified") == true)
        let spare = Certificate.PublicKey(try device.client.signingPublicKey(IoTSafePersonalisation.spareKeyID))
        let issuedFor = try #require(certified.withLockedValue { $0 })
        #expect(spare == issuedFor)
    }

    // MARK: - the issuing CA of the renewed certificate

    @Test func aRenewedCertificateFromANewIssuingCACarriesThatCA() async throws {
        // The registry rolled its issuing CA over: the answer holds the new certificate and the new issuing CA
        // (both chain to the registry root). The device must present the CA that issued its certificate, or a
        // DANE-TA peer cannot chain it.
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let root = try Issuer.root("Registry root")
        let next = try root.intermediate("Issuing CA 2")
        let est = try await estServer(
            scene, ca: root,
            answer: Self.issuing(scene, eid: scene.devices[0].eid, ca: next, along: [next.certificate], publish: false))
        defer { Task { await est.stop() } }
        let agent = try agent(scene, estURL: est.url(), registryRoot: root.der)
        let renewed = try await agent.renew(publicationTimeout: .zero)
        #expect(renewed.keyID == IoTSafePersonalisation.spareKeyID)
        let presented = try Certificate(derEncoded: renewed.certificateChain[1]).subject
        #expect(presented == next.name)
    }

    // MARK: - 1f: configuration

    @Test func renewalNeedsAnHTTPSEstURLAndARegistryRoot() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let noURL = try agent(scene, estURL: nil, registryRoot: scene.ca.der)
        let e1 = await #expect(throws: DeviceAgentError.self) { try await noURL.renew(publicationTimeout: .zero) }
        #expect(e1?.code == .badConfiguration)
        #expect(e1?.reason.contains("no EST server") == true)
        let noRoot = try agent(scene, estURL: "https://127.0.0.1:9/.well-known/est", registryRoot: nil)
        let e2 = await #expect(throws: DeviceAgentError.self) { try await noRoot.renew(publicationTimeout: .zero) }
        #expect(e2?.code == .badConfiguration)
        let badRoot = try agent(scene, estURL: "https://127.0.0.1:9/.well-known/est", registryRoot: [0x30, 0x00])
        let e3 = await #expect(throws: DeviceAgentError.self) { try await badRoot.renew(publicationTimeout: .zero) }
        #expect(e3?.code == .badConfiguration)
        let plain = try agent(scene, estURL: "http://127.0.0.1:9/.well-known/est", registryRoot: scene.ca.der)
        let e4 = await #expect(throws: DeviceAgentError.self) { try await plain.renew(publicationTimeout: .zero) }
        #expect(e4?.code == .badConfiguration)
        #expect(e4?.reason.contains("https://") == true)
        // Nothing was attempted with the current identity.
        #expect(noURL.keyID == IoTSafePersonalisation.clientKeyID)
    }

    // MARK: - 2: when to renew

    /// A whole second, so certificate times (whole seconds in UTCTime) are exactly what the test says.
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let day: TimeInterval = 86400

    /// An agent for device 0 of a fresh CA with a certificate valid from `now + from` to `now + to`; no network.
    func agent(validFrom from: TimeInterval, to: TimeInterval, estURL: String? = nil) throws -> DeviceAgent {
        let ca = try TestCA()
        let device = try SimulatedDevice(eid: Fixture.eid(0), ca: ca)
        let leaf = try ca.issuer.device(
            eid: device.eid, publicKey: .init(try device.client.signingPublicKey()),
            notValidBefore: Self.now + from, notValidAfter: Self.now + to)
        return try DeviceAgent(
            aspFQDN: Fixture.aspFQDN, aspPort: 443, certificateChain: [try leaf.derBytes(), ca.der],
            identity: "\(device.eid)._device.iotregistry.test", iotSafe: device.client,
            resolver: ValidatingResolver(trustAnchors: [], transport: NoTransport()), registryRoot: ca.der,
            estURL: estURL)
    }

    @Test func renewalIsDueWithAThirdOfTheValidityLeft() throws {
        let thirtyDays = try agent(validFrom: -20 * Self.day, to: 10 * Self.day)
        #expect(thirtyDays.certificateNotAfter == Self.now + 10 * Self.day)
        #expect(thirtyDays.renewalDue(now: Self.now + 1))
        // Exactly a third left (10 of 30 days) is due.
        #expect(thirtyDays.renewalDue(now: Self.now))
        #expect(!thirtyDays.renewalDue(now: Self.now - 3600))
        #expect(!thirtyDays.renewalDue(now: Self.now, remainingFraction: 0.25))
        let fresh = try agent(validFrom: -Self.day, to: 29 * Self.day)
        #expect(!fresh.renewalDue(now: Self.now))
        #expect(fresh.renewalDue(now: Self.now + 25 * Self.day))
        #expect(fresh.renewalDue(now: Self.now, remainingFraction: 1))
        let expired = try agent(validFrom: -30 * Self.day, to: -Self.day)
        #expect(expired.renewalDue(now: Self.now))
    }

    @Test func renewIfDueDoesNothingBeforeItIsDue() async throws {
        // Not due: nil, without looking at the (missing) EST configuration.
        let fresh = try agent(validFrom: -Self.day, to: 29 * Self.day)
        #expect(try await fresh.renewIfDue(now: Self.now, publicationTimeout: .zero) == nil)
        // Due: it renews, so here it reports the missing EST URL.
        let due = try agent(validFrom: -20 * Self.day, to: Self.day)
        let error = await #expect(throws: DeviceAgentError.self) {
            try await due.renewIfDue(now: Self.now, publicationTimeout: .zero)
        }
        #expect(error?.code == .badConfiguration)
    }

    @Test func renewIfDueRenewsWhenDue() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let est = try await estServer(scene, answer: Self.issuing(scene, eid: device.eid, publish: false))
        defer { Task { await est.stop() } }
        let now = Date()
        let old = try scene.ca.issuer.device(
            eid: device.eid, publicKey: .init(try device.client.signingPublicKey()),
            notValidBefore: now - 20 * Self.day,
            notValidAfter: now + Self.day)
        let due = try agent(
            scene, chain: [try old.derBytes(), scene.ca.der], estURL: est.url(), registryRoot: scene.ca.der)
        let fresh = try agent(scene, estURL: est.url(), registryRoot: scene.ca.der)
        #expect(try await fresh.renewIfDue(now: now, publicationTimeout: .zero) == nil)
        #expect(est.requests.isEmpty)
        let renewed = try #require(try await due.renewIfDue(now: now, publicationTimeout: .zero))
        #expect(renewed.keyID == IoTSafePersonalisation.spareKeyID)
        #expect(est.requests.first?.clientCertificate == (try old.derBytes()))
        #expect(!renewed.renewalDue(now: now))
    }
}

/// A transport for agents that must not reach the network.
struct NoTransport: DNSTransport {
    func query(_ name: DNSName, _ type: RecordType) async throws -> Message {
        throw DANEError(.indeterminate, "no network in this test (asked \(name) \(type))")
    }
}
