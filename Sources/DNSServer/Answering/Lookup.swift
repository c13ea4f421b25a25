import DNSSEC
import DNSWire

/// One name lookup in a signed zone: positive answer, delegation, NODATA, wildcard or NXDOMAIN with NSEC proofs
/// (RFC 4035 §3.1.1-3.1.4).
struct Lookup {
    let zone: SignedZone
    let qname: DNSName
    let qtype: RecordType
    let dnssec: Bool

    func answer(into r: inout Message) {
        if let cut = delegation() {
            referral(cut, into: &r)
            return
        }
        // The name is looked up once; only the RRsets an answer carries are decoded, their RRSIGs only with DO.
        if let owner = zone.owner(qname), !owner.isEmpty {
            if qtype == .any {
                for s in zone.rrsets(at: qname) where !s.rrset.rdatas.isEmpty { r.answers += records(s) }
            } else if let s = owner.rrset(qtype, signatures: dnssec) {
                r.answers += records(s)
            } else if owner.contains(.cname), let c = owner.rrset(.cname, signatures: dnssec) {
                r.answers += records(c)
            } else {
                noData(proof: dnssec ? owner.rrset(.nsec) : nil, into: &r)
            }
            return
        }
        // The NSEC at or before the name: it proves an empty non-terminal, or the name's absence.
        let cover = zone.nsec(covering: qname, signatures: dnssec)
        if isEmptyNonTerminal(qname, cover: cover) {
            noData(proof: cover, into: &r)
            return
        }
        // The name does not exist: find the closest encloser and look for a wildcard below it (RFC 4592 §4.1).
        let encloser = closestEncloser(cover: cover)
        if let wildcard = try? encloser.prepending(label: [UInt8(ascii: "*")]) {
            let wsets = zone.rrsets(at: wildcard).filter { !$0.rrset.rdatas.isEmpty }
            if !wsets.isEmpty {
                if let s = wsets.first(where: { $0.rrset.type == qtype })
                    ?? wsets.first(where: { $0.rrset.type == .cname })
                {
                    var synth = s
                    synth.rrset.name = qname
                    r.answers += records(synth)
                    // RFC 4035 §3.1.3.3: prove that no closer name matched.
                    if dnssec, let cover { r.authority += cover.records }
                } else {
                    noData(proof: cover, into: &r)
                    if dnssec, let w = wsets.first(where: { $0.rrset.type == .nsec }), w.rrset.name != cover?.rrset.name
                    {
                        r.authority += w.records
                    }
                }
                return
            }
            r.responseCode = .nxDomain
            addSOA(into: &r)
            guard dnssec else { return }
            if let cover { r.authority += cover.records }
            if let wcover = zone.nsec(covering: wildcard), wcover.rrset.name != cover?.rrset.name {
                r.authority += wcover.records
            }
        }
    }

    func records(_ s: SignedRRSet) -> [ResourceRecord] { dnssec ? s.records : s.rrset.records }

    /// The nearest zone cut at or above `qname` (below the apex) that makes the answer a referral.
    func delegation() -> DNSName? {
        guard zone.hasDelegations else { return nil }
        var n: DNSName? = qname
        while let name = n, name != zone.apex, name.labelCount > zone.apex.labelCount {
            if zone.rrset(name, .ns) != nil, !(name == qname && qtype == .ds) { return name }
            n = name.parent
        }
        return nil
    }

    func referral(_ cut: DNSName, into r: inout Message) {
        r.header.aa = false
        if let ns = zone.rrset(cut, .ns) { r.authority += ns.rrset.records }
        guard dnssec else { return }
        if let ds = zone.rrset(cut, .ds) {
            r.authority += ds.records
        } else if let nsec = zone.rrset(cut, .nsec) {
            r.authority += nsec.records
        }
    }

    /// The longest existing ancestor of the absent `qname`, read off the NSEC that covers it: names sort in
    /// canonical order, so an ancestor with any name below it (itself existing, or an empty non-terminal) has the
    /// NSEC's owner or its next name below it. No further search of the zone is needed.
    func closestEncloser(cover: SignedRRSet?) -> DNSName {
        guard let cover, case .nsec(let nsec)? = cover.rrset.rdatas.first else { return zone.apex }
        return Self.closestEncloser(of: qname, coverOwner: cover.rrset.name, next: nsec.nextName, apex: zone.apex)
    }

    /// The closest encloser of the absent `name` whose covering NSEC runs from `coverOwner` to `next`.
    static func closestEncloser(of name: DNSName, coverOwner: DNSName, next: DNSName, apex: DNSName) -> DNSName {
        var encloser = name.parent ?? apex
        while encloser != apex, !coverOwner.isSubdomain(of: encloser), !next.isSubdomain(of: encloser),
            let p = encloser.parent
        {
            encloser = p
        }
        return encloser
    }

    /// A name with no records but with names below it: the NSEC before it points to one of its descendants.
    func isEmptyNonTerminal(_ name: DNSName, cover: SignedRRSet?) -> Bool {
        guard let n = cover, n.rrset.name != name, case .nsec(let nsec)? = n.rrset.rdatas.first
        else { return false }
        return Self.isEmptyNonTerminal(name, next: nsec.nextName)
    }

    /// Whether `name`, absent from the chain, is an empty non-terminal: the next name after its cover lies below it.
    static func isEmptyNonTerminal(_ name: DNSName, next: DNSName) -> Bool {
        next != name && next.isSubdomain(of: name)
    }

    func noData(proof: SignedRRSet?, into r: inout Message) {
        addSOA(into: &r)
        if dnssec, let proof { r.authority += proof.records }
    }

    /// The SOA for a negative answer, its TTL lowered to the negative TTL (RFC 2308 §3, RFC 9077).
    func addSOA(into r: inout Message) {
        guard var soa = zone.soa else { return }
        if case .soa(let data)? = soa.rrset.rdatas.first { soa.rrset.ttl = min(soa.rrset.ttl, data.minimum) }
        r.authority += records(soa)
    }
}
