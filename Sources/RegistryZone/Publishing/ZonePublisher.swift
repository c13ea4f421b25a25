public import DNSSEC
public import DNSWire
public import Foundation
public import Logging

/// Keeps the signed zone equal to what the registry's database says, change by change.
///
/// It builds the zone from the database once, then follows the outbox: each batch of events names the devices it
/// touched, the publisher reads what each of them should publish now, and applies the difference as one signed
/// change (one SOA serial, one IXFR step, one NOTIFY). Because it re-reads the device instead of replaying the
/// event, processing an event twice, or after a restart, is harmless: the zone converges on the database.
public actor ZonePublisher {
    public let records: ZoneRecords
    let facts: any ZoneFacts
    let keys: ZoneKeys
    let policy: SigningPolicy
    let ledger: (any ZoneSerialLedger)?
    var sink: (any ZoneSink)?
    let logger: Logger
    /// Outbox events read per batch.
    public var batchSize = 2_000

    /// The zone now; nil until ``rebuild(now:)``.
    public private(set) var zone: SignedZone?
    /// The outbox position the zone reflects.
    public private(set) var position: Int64 = 0

    public init(
        records: ZoneRecords, facts: any ZoneFacts, keys: ZoneKeys, policy: SigningPolicy = SigningPolicy(),
        ledger: (any ZoneSerialLedger)? = nil, sink: (any ZoneSink)? = nil,
        logger: Logger = Logger(label: "iotreg.zone")
    ) {
        self.records = records
        self.facts = facts
        self.keys = keys
        self.policy = policy
        self.ledger = ledger
        self.sink = sink
        self.logger = logger
    }

    var apex: DNSName { records.configuration.apex }

    /// Sends every later change to `sink` as well (e.g. a DNS server started after the first build), after
    /// handing it the current zone.
    public func attach(_ sink: any ZoneSink) async {
        self.sink = sink
        if let zone { await sink.publish(zone, diff: nil) }
    }

    /// Whether this publisher is the zone's signer: only the signer records serials in the ledger and hands
    /// versions to a sink. A standby keeps its own copy signed and current, warm for ``takeOver(now:)``.
    public private(set) var isSigner = true

    /// Stops publishing (another node signs now) but keeps following the database, so that taking over later
    /// costs one SOA signature instead of signing the whole zone.
    public func standBy() {
        sink = nil
        isSigner = false
    }

    /// Becomes the signer: the zone this standby kept (or, without one, a zone signed from scratch) moves to a
    /// serial after every one the ledger holds, is recorded, and then catches up with the outbox.
    @discardableResult
    public func takeOver(now: Date = Date()) async throws -> SignedZone {
        isSigner = true
        guard var zone else { return try await rebuild(now: now) }
        let target = try await ledger?.nextSerial(now: now) ?? zone.serial &+ 1
        _ = try zone.advanceSerial(to: target, now: now)
        self.zone = zone
        try await ledger?.recordPublished(serial: zone.serial, position: position)
        logger.info("took over the zone", metadata: ["names": "\(zone.nameCount)", "serial": "\(zone.serial)"])
        try await catchUp(now: now)
        return self.zone ?? zone
    }

    // MARK: - from scratch

    /// Devices read from the database per page when the zone is built from scratch.
    public private(set) var pageSize = 10_000

    /// Sets ``pageSize`` (at least 1): tests read a small zone in many pages.
    public func setPageSize(_ size: Int) { pageSize = max(1, size) }

    /// The unsigned content the database calls for now, with the SOA at `serial`.
    public func desiredRecords(serial: UInt32) async throws -> [ResourceRecord] {
        var out = try await headRecords(serial: serial)
        var cursor: String?
        while true {
            let page = try await facts.identities(after: cursor, limit: pageSize)
            for identity in page { out += try records.records(for: identity) }
            guard let last = page.last, page.count == pageSize else { break }
            cursor = last.eid
        }
        return out
    }

    /// The apex, CA and ASP service records: what the zone holds besides devices.
    func headRecords(serial: UInt32) async throws -> [ResourceRecord] {
        let ca = try await facts.caCertificates()
        var out = records.apexRecords(serial: serial, rootCertificate: ca.root, issuingCertificates: ca.issuing)
        for service in try await facts.services() { out += try records.records(for: service) }
        return out
    }

    /// Signs the zone the database calls for now at `serial`, without publishing it or touching the serial file
    /// (for `iotreg zone export`).
    ///
    /// The devices are read a page at a time and each page is signed as it comes, while the next one is read: the
    /// zone of ten million devices is never held as unsigned records (``SignedZone/Builder``).
    public func signedZone(serial: UInt32, now: Date = Date()) async throws -> SignedZone {
        var builder = SignedZone.Builder(apex: apex, keys: keys, policy: policy, now: now)
        try builder.add(try await headRecords(serial: serial))
        let facts = self.facts
        let size = pageSize
        var page = try await facts.identities(after: nil, limit: size)
        while !page.isEmpty {
            let current = page
            async let following = Self.page(after: current, size: size, from: facts)
            try builder.add(try current.flatMap { try records.records(for: $0) })
            page = try await following
        }
        return try builder.finish()
    }

    /// The page of identities after `previous`; empty when `previous` was the last (a short page).
    private static func page(after previous: [PublishedIdentity], size: Int, from facts: any ZoneFacts)
        async throws -> [PublishedIdentity]
    {
        guard previous.count == size, let last = previous.last else { return [] }
        return try await facts.identities(after: last.eid, limit: size)
    }

    /// Signs the whole zone from the database, replacing the current one, and publishes it (secondaries take
    /// AXFR). Events after the position read first are then applied by ``catchUp(now:)``.
    @discardableResult
    public func rebuild(now: Date = Date()) async throws -> SignedZone {
        let position = try await facts.latestChange()
        let serial =
            try await (isSigner ? ledger?.nextSerial(now: now) : nil)
            ?? UInt32(clamping: Int64(now.timeIntervalSince1970))
        let zone = try await signedZone(serial: serial, now: now)
        self.zone = zone
        self.position = position
        try await record(zone)
        logger.info("zone signed from scratch", metadata: ["names": "\(zone.nameCount)", "serial": "\(zone.serial)"])
        await sink?.publish(zone, diff: nil)
        return zone
    }

    // MARK: - following the outbox

    /// Applies every outbox event after ``position``, a batch at a time; returns the diffs it published.
    @discardableResult
    public func catchUp(now: Date = Date()) async throws -> [ZoneDiff] {
        if zone == nil { try await rebuild(now: now) }
        var diffs: [ZoneDiff] = []
        while true {
            let batch = try await facts.changedDevices(after: position, limit: batchSize)
            guard batch.through > position else { break }
            // One ledger write per batch: a published change records the batch's end itself.
            let diff = try await apply(devices: batch.eids, through: batch.through, now: now)
            position = batch.through
            if let diff { diffs.append(diff) } else if let zone { try await record(zone) }
        }
        return diffs
    }

    /// Makes the names of `eids` match the database in one signed change; nil when nothing differed.
    public func apply(devices eids: [String], now: Date = Date()) async throws -> ZoneDiff? {
        try await apply(devices: eids, through: position, now: now)
    }

    /// ``apply(devices:now:)`` for the outbox events through `through`, the position the published zone reflects.
    func apply(devices eids: [String], through: Int64, now: Date) async throws -> ZoneDiff? {
        guard let zone else { throw RegistryZoneError(.state, "the zone has not been built yet; call rebuild first") }
        var change = ZoneChange()
        let touched = Set(eids).sorted()
        let identities = try await facts.identities(eids: touched)
        for eid in touched {
            let (current, rpids) = identities[eid] ?? (nil, [])
            let desired = try current.map { try records.records(for: $0) } ?? []
            let names = try records.names(eid: eid, rpids: Array(Set(rpids + (current.map { [$0.rpid] } ?? []))))
            Self.plan(&change, names: names, desired: desired, in: zone)
        }
        return try await publish(change, through: through, now: now)
    }

    /// Publishes the TLSA of ASP services onboarded (or re-certified) since the last build, in one signed change;
    /// nil when the zone already holds them. ASPs are few and change rarely, so this compares them all.
    @discardableResult
    public func syncServices(now: Date = Date()) async throws -> ZoneDiff? {
        guard let zone else { throw RegistryZoneError(.state, "the zone has not been built yet; call rebuild first") }
        var change = ZoneChange()
        for service in try await facts.services() {
            let desired = try records.records(for: service)
            Self.plan(&change, names: Array(Set(desired.map { $0.name.lowercased() })), desired: desired, in: zone)
        }
        return try await publish(change, through: position, now: now)
    }

    /// Adds to `change` what makes the records at `names` (signer types aside) equal `desired`.
    static func plan(_ change: inout ZoneChange, names: [DNSName], desired: [ResourceRecord], in zone: SignedZone) {
        let present = names.flatMap { name in
            zone.rrsets(at: name).filter { !signerTypes.contains($0.rrset.type) }.flatMap(\.rrset.records)
        }
        let presentSet = Set(present.map(RecordKey.init))
        let desiredSet = Set(desired.map(RecordKey.init))
        change.removals += present.filter { !desiredSet.contains(RecordKey($0)) }
        change.additions += desired.filter { !presentSet.contains(RecordKey($0)) }
    }

    /// Signs `change` into the zone, persists the serial and hands the new version to the sink; nil when empty.
    private func publish(_ change: ZoneChange, through: Int64, now: Date) async throws -> ZoneDiff? {
        guard var zone, !change.removals.isEmpty || !change.additions.isEmpty else { return nil }
        let diff = try zone.apply(change, now: now)
        guard !diff.isEmpty else { return nil }
        try await record(zone, through: through)
        self.zone = zone
        await sink?.publish(zone, diff: diff)
        return diff
    }

    /// Re-signs RRsets whose signatures near expiry (run periodically; hourly is plenty with 14-day signatures).
    @discardableResult
    public func refreshSignatures(now: Date = Date()) async throws -> ZoneDiff? {
        guard var zone else { return nil }
        let diff = try zone.refresh(now: now)
        guard !diff.isEmpty else { return nil }
        try await record(zone)
        self.zone = zone
        await sink?.publish(zone, diff: diff)
        return diff
    }

    /// Records `zone`'s serial and the position in the ledger, when this publisher is the signer.
    private func record(_ zone: SignedZone, through: Int64? = nil) async throws {
        if isSigner { try await ledger?.recordPublished(serial: zone.serial, position: through ?? position) }
    }

    /// Record types the signer manages: never compared with the database.
    static let signerTypes: Set<RecordType> = [.rrsig, .nsec, .dnskey, .soa]

    /// A record's identity for set comparison: owner, type and data, not TTL.
    struct RecordKey: Hashable {
        let name: DNSName
        let rdata: RData
        init(_ record: ResourceRecord) {
            name = record.name.lowercased()
            rdata = record.rdata
        }
    }
}
