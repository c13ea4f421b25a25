public import DNSWire

/// A trust anchor for one zone: a DS (digest of the KSK, as the parent publishes it) or a DNSKEY.
///
/// Written as master-file lines: `iotregistry.test. 3600 IN DS 46690 13 2 0644b0…` or `… DNSKEY 257 3 13 …`.
public struct TrustAnchor: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case ds(DS)
        case dnskey(DNSKEY)
    }

    /// The zone the anchor is for.
    public var zone: DNSName
    public var kind: Kind

    public init(zone: DNSName, kind: Kind) {
        self.zone = zone.lowercased()
        self.kind = kind
    }

    /// An anchor from a DS or DNSKEY record.
    ///
    /// - Throws: ``DNSSECError`` `badKey` for any other record type.
    public init(record: ResourceRecord) throws {
        switch record.rdata {
        case .ds(let ds): self.init(zone: record.name, kind: .ds(ds))
        case .dnskey(let key): self.init(zone: record.name, kind: .dnskey(key))
        default: throw DNSSECError(.badKey, "a trust anchor is a DS or DNSKEY record, not \(record.type)")
        }
    }

    /// Parses anchors from master-file text (one DS or DNSKEY per line; `$ORIGIN`/`$TTL` allowed).
    public static func parse(_ text: String) throws -> [TrustAnchor] {
        do {
            return try ZoneFileReader(defaultTTL: 3600).read(text).map(TrustAnchor.init(record:))
        } catch let e as DNSWireError {
            throw DNSSECError(.badKey, "trust anchor text does not parse: \(e.reason)")
        }
    }

    /// Whether `key` (published at ``zone``) is the key this anchor names.
    public func matches(_ key: DNSKEY) -> Bool {
        switch kind {
        case .dnskey(let k): return k == key
        case .ds(let ds):
            guard ds.keyTag == key.keyTag, ds.algorithm == key.algorithm, ds.digestType == .sha256 else { return false }
            return DNSSECKey.ds(for: key, owner: zone).digest == ds.digest
        }
    }

    /// The anchor as a master-file line.
    public var description: String {
        switch kind {
        case .ds(let ds): ResourceRecord(name: zone, ttl: 3600, rdata: .ds(ds)).description
        case .dnskey(let k): ResourceRecord(name: zone, ttl: 3600, rdata: .dnskey(k)).description
        }
    }
}
