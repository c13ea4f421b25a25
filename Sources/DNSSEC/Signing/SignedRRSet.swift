public import DNSWire

/// An RRset with the RRSIGs that cover it, as served in an answer or checked by a validator.
public struct SignedRRSet: Hashable, Sendable {
    public var rrset: RRSet
    public var signatures: [RRSIG]

    public init(rrset: RRSet, signatures: [RRSIG]) {
        self.rrset = rrset
        self.signatures = signatures
    }

    /// The RRset's records followed by its RRSIG records.
    public var records: [ResourceRecord] {
        rrset.records
            + signatures.map {
                ResourceRecord(name: rrset.name, recordClass: rrset.recordClass, ttl: rrset.ttl, rdata: .rrsig($0))
            }
    }

    /// Groups records (data and RRSIGs mixed, e.g. a message section or a zone file) into signed RRsets.
    public static func group<S: Sequence>(_ records: S) -> [SignedRRSet] where S.Element == ResourceRecord {
        let all = Array(records)
        var sigs: [RRSet.Key: [RRSIG]] = [:]
        for r in all {
            if case .rrsig(let s) = r.rdata {
                sigs[RRSet.Key(name: r.name, type: s.typeCovered, recordClass: r.recordClass), default: []].append(s)
            }
        }
        return RRSet.group(all.filter { $0.type != .rrsig }).map {
            SignedRRSet(rrset: $0, signatures: sigs[$0.key] ?? [])
        }
    }
}
