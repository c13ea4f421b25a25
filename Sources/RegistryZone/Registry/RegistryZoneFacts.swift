public import Foundation
public import RegistryCore

/// Reads the zone's facts from the registry store: which devices are live, their one current certificate, and
/// which devices each outbox event touched.
///
/// A device is published while it is `active` or `transfer-pending` (it still belongs to the losing ASP until the
/// transfer completes) and holds an unrevoked certificate for its current profile. Everything else, deactivated,
/// deleted, transferred but not yet re-certified, has no names, and NSEC proves it.
public struct RegistryZoneFacts: ZoneFacts {
    let store: any RegistryStore
    let ca: @Sendable () async throws -> (root: [UInt8], issuing: [[UInt8]])

    /// - Parameter caCertificates: the registry's root and issuing CA certificates (DER), read when the zone is
    ///   built, so a new issuing CA appears at the next rebuild.
    public init(
        store: any RegistryStore,
        caCertificates: @escaping @Sendable () async throws -> (root: [UInt8], issuing: [[UInt8]])
    ) {
        self.store = store
        self.ca = caCertificates
    }

    static let publishedStates: Set<DeviceState> = [.active, .transferPending]

    public func caCertificates() async throws -> (root: [UInt8], issuing: [[UInt8]]) { try await ca() }

    public func identities(after eid: String?, limit: Int) async throws -> [PublishedIdentity] {
        var out: [PublishedIdentity] = []
        var cursor = eid
        // Two states are published; walk all devices in EID order and keep those, so the cursor stays one EID.
        while out.count < limit {
            let page = try await store.devices(matching: DeviceQuery(after: cursor, limit: limit))
            let live = page.filter { Self.publishedStates.contains($0.state) && $0.rpid != nil }
            // One query for the page's certificates, not one per device: a rebuild reads millions of them.
            let certificates = try await store.currentCertificates(eids: live.map(\.eid))
            out += live.compactMap { Self.identity(of: $0, certificate: certificates[$0.eid]) }
            guard let last = page.last, page.count == limit else { break }
            cursor = last.eid.digits
        }
        // At most `limit`: a caller takes a shorter page for the last one, and the next starts after the last EID.
        return Array(out.prefix(limit))
    }

    public func identity(eid: String) async throws -> (current: PublishedIdentity?, rpids: [Int64]) {
        guard let parsed = try? EID(eid) else { return (nil, []) }
        let rpids = try await store.profiles(eid: parsed).map(\.rpid)
        guard let device = try await store.device(eid: parsed) else { return (nil, rpids) }
        return (try await identity(of: device), rpids)
    }

    public func identities(eids: [String]) async throws
        -> [String: (current: PublishedIdentity?, rpids: [Int64])]
    {
        // Malformed EIDs (never written by the registry) have nothing to publish.
        let parsed = eids.compactMap { try? EID($0) }
        let devices = try await store.devices(eids: parsed)
        let live = devices.values.filter { Self.publishedStates.contains($0.state) }
        let certificates = try await store.currentCertificates(eids: live.map(\.eid))
        let profiles = try await store.profileIDs(eids: parsed)
        var found: [String: (current: PublishedIdentity?, rpids: [Int64])] = [:]
        for eid in eids { found[eid] = (nil, []) }
        for eid in parsed {
            let current = devices[eid].flatMap { Self.identity(of: $0, certificate: certificates[eid]) }
            found[eid.digits] = (current, profiles[eid] ?? [])
        }
        return found
    }

    func identity(of device: Device) async throws -> PublishedIdentity? {
        guard Self.publishedStates.contains(device.state) else { return nil }
        return Self.identity(of: device, certificate: try await store.currentCertificate(eid: device.eid))
    }

    /// What `device` publishes with `certificate`, its current one: nothing unless the device is live and the
    /// certificate is for its current profile.
    static func identity(of device: Device, certificate: CertificateRecord?) -> PublishedIdentity? {
        guard publishedStates.contains(device.state), let rpid = device.rpid, let certificate,
            certificate.rpid == rpid
        else { return nil }
        return PublishedIdentity(eid: device.eid.digits, rpid: rpid, certificate: certificate.der)
    }

    public func services() async throws -> [PublishedService] {
        var out: [PublishedService] = []
        var cursor: String?
        while true {
            let page = try await store.asps(after: cursor, limit: 500)
            for asp in page {
                guard let pem = asp.serverCertificatePEM, let der = PEMBlock.firstCertificate(pem) else { continue }
                out.append(PublishedService(fqdn: asp.fqdn, port: asp.port, certificate: der))
            }
            guard let last = page.last, page.count == 500 else { break }
            cursor = last.id
        }
        return out
    }

    public func latestChange() async throws -> Int64 { try await store.latestOutboxSequence() }

    public func changedDevices(after sequence: Int64, limit: Int) async throws -> (eids: [String], through: Int64) {
        let events = try await store.outboxEvents(after: sequence, limit: limit)
        return (events.compactMap { $0.eid?.digits }, events.last?.sequence ?? sequence)
    }
}

/// The first `CERTIFICATE` block of a PEM text, decoded.
enum PEMBlock {
    static func firstCertificate(_ pem: String) -> [UInt8]? {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex)
        else { return nil }
        let body = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map { Array($0) }
    }
}
