import DNSSEC
public import DNSWire

/// How the served zone differs from what the database calls for; empty when they agree.
public struct ZoneConsistencyReport: Sendable, Hashable, CustomStringConvertible {
    /// Records the database calls for that the zone lacks.
    public var missing: [ResourceRecord]
    /// Records the zone serves that the database does not call for (a revoked device still visible).
    public var unexpected: [ResourceRecord]

    public var isConsistent: Bool { missing.isEmpty && unexpected.isEmpty }

    public var description: String {
        guard !isConsistent else { return "the zone matches the database" }
        let lines = missing.prefix(20).map { "missing:    \($0)" } + unexpected.prefix(20).map { "unexpected: \($0)" }
        return "the zone differs from the database (\(missing.count) missing, \(unexpected.count) unexpected):\n"
            + lines.joined(separator: "\n")
    }
}

extension ZonePublisher {
    /// Compares every record of the zone (but those the signer makes) with a fresh derivation from the database.
    ///
    /// The database runs ahead of the zone by the outbox events not applied yet; under load a single comparison
    /// would report them (and a caller would rebuild a large zone for nothing). So a difference is confirmed
    /// after catching up: only what differs in both comparisons is reported.
    public func checkConsistency() async throws -> ZoneConsistencyReport {
        let first = try await compareWithDatabase()
        guard !first.isConsistent else { return first }
        try await catchUp()
        let second = try await compareWithDatabase()
        let missing = Set(second.missing.map(RecordKey.init))
        let unexpected = Set(second.unexpected.map(RecordKey.init))
        return ZoneConsistencyReport(
            missing: first.missing.filter { missing.contains(RecordKey($0)) },
            unexpected: first.unexpected.filter { unexpected.contains(RecordKey($0)) })
    }

    private func compareWithDatabase() async throws -> ZoneConsistencyReport {
        guard let zone else { throw RegistryZoneError(.state, "the zone has not been built yet; call rebuild first") }
        let desired = try await desiredRecords(serial: zone.serial).filter { $0.type != .soa }
        let served = zone.records.filter { !Self.signerTypes.contains($0.type) }
        let desiredKeys = Set(desired.map(RecordKey.init))
        let servedKeys = Set(served.map(RecordKey.init))
        return ZoneConsistencyReport(
            missing: desired.filter { !servedKeys.contains(RecordKey($0)) },
            unexpected: served.filter { !desiredKeys.contains(RecordKey($0)) })
    }
}
