import Crypto
import Foundation
public import Logging
import PKI
import Payload
public import RegistryCore
import Synchronization
import X509

/// Turns every issued device certificate into a signed Registry Payload and queues its delivery (DESIGN.md step 4
/// and 6): the outbox consumer between the CA and the MNO channel.
///
/// The payload names the device (EID, RPID, DNS identity), its ASP as it stands in the database (endpoint,
/// certificate and TLSA reference), the registry root, the DoT resolver and the DNSSEC anchors; Wi-Fi secrets are
/// sealed to the eSIM's key-agreement key. Building is idempotent: a payload for a certificate that is no longer
/// the device's current one is dropped, and the store refuses a sequence that is not new.
public actor PayloadBuilder {
    /// The outbox consumer name.
    public static let consumer = "payload-builder"

    let registry: Registry
    let signer: PayloadSigner
    let settings: PayloadSettings
    /// ``PayloadSettings/estURL``, or the one ``announceEST(url:)`` gave once the listener knew its port.
    private let estURL: Mutex<String?>
    let logger: Logger
    /// The outbox sequence the DNS zone has published through, when a zone is served: a payload is built only
    /// after the zone publishes its certificate, so a device never self-attests against a zone that lacks it (and
    /// caches that absence for the negative TTL).
    let published: (@Sendable () async -> Int64)?
    /// Payloads recorded since start (for logs and tests).
    public private(set) var built = 0

    public init(
        registry: Registry, signer: PayloadSigner, settings: PayloadSettings, logger: Logger,
        publishedThrough published: (@Sendable () async -> Int64)? = nil
    ) {
        self.published = published
        self.registry = registry
        self.signer = signer
        self.settings = settings
        self.estURL = Mutex(settings.estURL)
        self.logger = logger
    }

    /// The EST base URL payloads carry from now on: the EST listener calls this once it is bound (its port may
    /// have been chosen by the system).
    public nonisolated func announceEST(url: String) {
        estURL.withLock { $0 = url }
    }

    /// Builds the payloads a batch of outbox events calls for, `concurrency` at a time (their commits then share
    /// the store's group commit, so a durable commit's latency is paid once per round, not once per payload);
    /// other events are ignored. Events for one device are built in order.
    public func process(_ events: [OutboxEvent], concurrency: Int = 64) async throws {
        if let published, let last = events.last?.sequence {
            let deadline = ContinuousClock.now + .seconds(30)
            while await published() < last && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        var byDevice: [EID: [String]] = [:]
        var order: [EID] = []
        for event in events where event.kind == .certificateIssued {
            guard let eid = event.eid, let serial = event.serial else { continue }
            if byDevice[eid] == nil { order.append(eid) }
            byDevice[eid, default: []].append(serial)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                guard next < order.count else { return }
                let eid = order[next]
                let serials = byDevice[eid] ?? []
                next += 1
                group.addTask {
                    // Only the newest certificate of a batch can still be current; older ones build nothing.
                    if let last = serials.last { try await self.build(eid: eid, certificateSerial: last) }
                }
            }
            for _ in 0..<max(concurrency, 1) { launch() }
            while try await group.next() != nil { launch() }
        }
    }

    /// Processes what the outbox holds for this consumer, batch after batch; returns the events seen.
    ///
    /// Large batches: each one first waits for the zone to publish through its last event, and a fleet transfer
    /// writes five events per device.
    @discardableResult
    public func catchUp(batch: Int = 1000) async throws -> Int {
        var seen = 0
        while true {
            let events = try await registry.store.processOutbox(consumer: Self.consumer, limit: batch) { events in
                try await self.process(events)
            }
            seen += events.count
            if events.count < batch { return seen }
        }
    }

    /// Builds, signs and records the payload for `certificateSerial`, when it is still the device's current one.
    ///
    /// - Returns: the delivery task queued, or nil when the certificate or device moved on (nothing to do).
    @discardableResult
    public nonisolated func build(eid: EID, certificateSerial: String) async throws -> MNOTask? {
        let store = registry.store
        for _ in 0..<3 {
            guard let device = try await store.device(eid: eid), [.active, .transferPending].contains(device.state),
                let rpid = device.rpid, let current = try await store.currentCertificate(eid: eid),
                current.serial == certificateSerial
            else { return nil }
            guard let asp = try await store.asp(id: device.aspID) else {
                throw RegistryError(.unavailable, "device \(eid)'s ASP \(device.aspID) is missing")
            }
            let sequence = (try await store.latestPayload(eid: eid)?.sequence ?? 0) + 1
            let payload = try makePayload(
                device: device, rpid: rpid, certificate: current, asp: asp, sequence: sequence,
                keyAgreement: try await store.keyAgreementKey(eid: eid))
            let bytes = try signer.sign(payload)
            do {
                let task = try await registry.recordPayload(
                    StoredPayload(
                        eid: eid, sequence: sequence, certificateSerial: certificateSerial, aspID: asp.id, bytes: bytes,
                        createdAt: payload.issuedAt, notAfter: payload.notAfter))
                if task != nil { await countBuilt() }
                return task
            } catch let error as RegistryError where error.code == .conflict || error.code == .alreadyExists {
                continue  // another builder recorded a payload meanwhile; make the next sequence
            }
        }
        throw RegistryError(.conflict, "could not record a payload for \(eid) after 3 attempts")
    }

    private func countBuilt() { built += 1 }

    nonisolated func makePayload(
        device: Device, rpid: Int64, certificate: CertificateRecord, asp: ASP, sequence: Int64,
        keyAgreement: ESIMKeyAgreementKey?
    ) throws -> RegistryPayload {
        guard let pki = registry.pki else {
            throw RegistryError(.unavailable, "the registry has no CA; payloads need the root and issuing CA")
        }
        let issuer = try pki.issuer
        let now = registry.now
        let aspCertificate = try asp.serverCertificatePEM.map { try Certificate(pemOrDER: Array($0.utf8)) }
        var zone = pki.zone.lowercased()
        if !zone.hasSuffix(".") { zone += "." }
        var fqdn = asp.fqdn.lowercased()
        if fqdn.hasSuffix(".") { fqdn.removeLast() }
        let endpoint = RegistryPayload.ASPEndpoint(
            fqdn: fqdn, port: UInt16(clamping: asp.port), url: asp.url ?? "https://\(fqdn):\(asp.port)/",
            protocol: asp.transportProtocol, certificate: aspCertificate?.derBytes,
            tlsa: try aspCertificate.map {
                RegistryPayload.TLSAReference(
                    owner: "_\(asp.port)._tcp.\(fqdn).", usage: 3, selector: 1, matchingType: 1,
                    data: Array(SHA256.hash(data: try CertificateDER.subjectPublicKeyInfo($0.derBytes))))
            })
        var wifi: RegistryPayload.WiFi?
        if let site = settings.wifi, let keyAgreement {
            let recipient = try P256.KeyAgreement.PublicKey(x963Representation: keyAgreement.publicKey)
            wifi = try RegistryPayload.WiFi.seal(
                ssid: site.ssid, passphrase: site.passphrase, to: recipient, eid: device.eid.digits)
        }
        var seed: RegistryPayload.SeedSignatures?
        if settings.seedSignatures {
            seed = RegistryPayload.SeedSignatures(
                endpointSignature: try issuer.detachedSignature(over: endpoint.seedEndpointJSON),
                aspCertificateSignature: try issuer.detachedSignature(over: endpoint.certificate ?? []))
        }
        return RegistryPayload(
            sequence: UInt64(sequence), issuedAt: now,
            notAfter: min(now + settings.lifetime, certificate.notAfter),
            device: RegistryPayload.Device(
                eid: device.eid.digits, rpid: UInt64(max(rpid, 0)), dnsName: "\(device.eid.digits)._device.\(zone)",
                certificate: certificate.der, issuingCA: issuer.certificate.derBytes),
            asp: endpoint, registryRoot: pki.hierarchy.root.certificate.derBytes, resolver: settings.resolver,
            trustAnchors: settings.trustAnchors, wifi: wifi, mudURL: device.mudURL, seedSignatures: seed,
            estURL: estURL.withLock { $0 })
    }
}
