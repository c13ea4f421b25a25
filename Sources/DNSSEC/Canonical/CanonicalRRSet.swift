public import DNSWire

/// The canonical form and the signing input of RFC 4034 §3.1.8.1 and §6.
///
///     signature = sign(RRSIG_RDATA | RR(1) | RR(2)... )
///     RR(i) = owner | type | class | TTL | RDATA length | RDATA
///
/// RRSIG_RDATA excludes the signature and has the signer name in canonical form; the owner is lowercased (and, for
/// a wildcard expansion, rebuilt as `*.` + the last `labels` labels); TTL is the RRSIG's original TTL; the RRs are
/// sorted by their canonical RDATA as left-justified octet strings, duplicates removed (§6.3).
public enum CanonicalRRSet {
    /// The canonical RDATA of each record, sorted and deduplicated (RFC 4034 §6.3).
    public static func sortedRData(_ rdatas: [RData]) -> [[UInt8]] {
        let wires = rdatas.map(\.canonicalWire).sorted { $0.lexicographicallyPrecedes($1) }
        var out: [[UInt8]] = []
        out.reserveCapacity(wires.count)
        for w in wires where out.last != w { out.append(w) }
        return out
    }

    /// The octets an RRSIG over `rrset` signs (RFC 4034 §3.1.8.1), with the rules of RFC 4035 §5.3.2 for the owner.
    ///
    /// - Parameters:
    ///   - rrset: the records covered; their TTL is replaced by `rrsig.originalTTL`.
    ///   - rrsig: the RRSIG data; its signature field is ignored.
    public static func signingInput(rrset: RRSet, rrsig: RRSIG) -> [UInt8] {
        var w = WireWriter(capacity: 256)
        rrsig.encodeWithoutSignature(into: &w, canonical: true)
        var owner = rrset.name.lowercased()
        let labels = owner.labelCount
        if Int(rrsig.labels) < labels,
            let wildcard = try? owner.suffix(labels: Int(rrsig.labels)).prepending(
                label: [UInt8(ascii: "*")])
        {
            owner = wildcard
        }
        for rdata in sortedRData(rrset.rdatas) {
            w.writeName(owner, compress: false)
            w.writeUInt16(rrset.type.rawValue)
            w.writeUInt16(rrset.recordClass.rawValue)
            w.writeUInt32(rrsig.originalTTL)
            w.writeUInt16(UInt16(truncatingIfNeeded: rdata.count))
            w.writeBytes(rdata)
        }
        return w.bytes
    }

    /// The RRSIG Labels field for an owner: its label count, not counting a leading `*` (RFC 4034 §3.1.3).
    public static func rrsigLabels(for owner: DNSName) -> UInt8 {
        UInt8(truncatingIfNeeded: owner.labelCount - (owner.isWildcard ? 1 : 0))
    }
}
