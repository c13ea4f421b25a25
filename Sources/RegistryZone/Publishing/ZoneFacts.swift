/// What the zone is derived from, read from the registry's database.
///
/// Why a protocol: the publisher's rules (which names exist, when a change is applied) are tested against an
/// in-memory source, and the registry store adapter (``RegistryZoneFacts``) stays a thin translation.
public protocol ZoneFacts: Sendable {
    /// The registry's CA certificates (DER): the root, and the issuing CAs that sign device certificates.
    func caCertificates() async throws -> (root: [UInt8], issuing: [[UInt8]])
    /// Every device the zone must publish now, in EID order after `eid`, at most `limit`.
    func identities(after eid: String?, limit: Int) async throws -> [PublishedIdentity]
    /// What one device publishes now (nil when nothing: not active, or no certificate), and every profile id it
    /// ever had, so that names of superseded profiles are removed too.
    func identity(eid: String) async throws -> (current: PublishedIdentity?, rpids: [Int64])
    /// ``identity(eid:)`` for many devices at once, by EID (every one of `eids` present): what a batch of outbox
    /// events touched, read in a few queries instead of a few per device.
    func identities(eids: [String]) async throws -> [String: (current: PublishedIdentity?, rpids: [Int64])]
    /// ASP services whose host is inside the zone.
    func services() async throws -> [PublishedService]
    /// The position of the newest change (the outbox sequence).
    func latestChange() async throws -> Int64
    /// Devices touched after `sequence`, oldest first, at most `limit` events; with the sequence of the last event read.
    func changedDevices(after sequence: Int64, limit: Int) async throws -> (eids: [String], through: Int64)
}

extension ZoneFacts {
    /// One ``identity(eid:)`` per device; sources backed by a database override it with batch reads.
    public func identities(eids: [String]) async throws -> [String: (current: PublishedIdentity?, rpids: [Int64])] {
        var found: [String: (current: PublishedIdentity?, rpids: [Int64])] = [:]
        for eid in eids { found[eid] = try await identity(eid: eid) }
        return found
    }
}
