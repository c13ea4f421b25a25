public import DNSWire

/// A set of record additions and removals to apply to a ``SignedZone``.
///
/// Removals are applied first, then additions. Removing a record that is absent, or adding one that is present,
/// is not an error and does not appear in the diff. RRSIG, NSEC, DNSKEY and SOA records are managed by the signer
/// and may not appear here.
public struct ZoneChange: Hashable, Sendable {
    /// Records to remove (matched by owner, type, class and RDATA; the TTL is ignored).
    public var removals: [ResourceRecord]
    /// Names whose every record is removed (a revoked device's names).
    public var removedNames: [DNSName]
    /// Records to add; a record joining an existing RRset takes that RRset's TTL.
    public var additions: [ResourceRecord]

    public init(removals: [ResourceRecord] = [], removedNames: [DNSName] = [], additions: [ResourceRecord] = []) {
        self.removals = removals
        self.removedNames = removedNames
        self.additions = additions
    }
}

/// What one change did to the signed zone, in the shape of an IXFR difference sequence (RFC 1995 §4).
///
/// ``removed`` starts with the old SOA and ``added`` with the new one; both include the RRSIG and NSEC records that
/// changed, so a server can append the diff to its journal and serve it as is.
public struct ZoneDiff: Hashable, Sendable {
    public var oldSerial: UInt32
    public var newSerial: UInt32
    public var removed: [ResourceRecord]
    public var added: [ResourceRecord]

    /// Whether the change altered nothing (the serial was not bumped).
    public var isEmpty: Bool { removed.isEmpty && added.isEmpty }
}
