import DNSSEC
import DNSWire

/// The common answers written straight from the zone's packed records into the response: a positive answer,
/// NODATA, and NXDOMAIN with its NSEC proofs. Nothing is decoded into records and encoded again.
///
/// Why: a device zone is queried for the TLSA or CERT of a device that exists, or for one that does not (a revoked
/// or unknown device). Built as ``Message`` values, each answer allocated a dozen arrays (records, their RDATA,
/// signatures, names) and released them again; `perf` showed allocation and reference counting as the largest
/// part of the server's own time. The octets are the same as ``ResponseEncoder`` writes for the general path
/// (a test compares them); anything else (delegations, wildcards, CNAME, ANY, an answer that needs truncating)
/// returns nil and takes the general path.
enum FastAnswer {
    static func respond(to query: Message, zone: SignedZone, maxSize: Int, advertisedUDPPayload: UInt16) -> [UInt8]? {
        guard query.header.opcode == .query, query.questions.count == 1, query.answers.isEmpty,
            query.authority.isEmpty, let q = query.questions.first, q.recordClass == .in, !q.type.isMetaType,
            q.type != .cname, query.edns.map({ $0.version == 0 }) ?? true, !zone.hasDelegations,
            q.name.isSubdomain(of: zone.apex)
        else { return nil }
        let dnssec = query.edns?.dnssecOK ?? false
        let qname = q.name.lowercased()

        var w = WireWriter(compression: false, capacity: min(maxSize, 1500))
        w.writeUInt16(query.header.id)
        w.writeUInt16(0)
        for _ in 0..<4 { w.writeUInt16(0) }
        w.writeBytes(q.name.wire)
        w.writeUInt16(q.type.rawValue)
        w.writeUInt16(q.recordClass.rawValue)
        func owner(_ name: DNSName) -> (inout WireWriter) -> Void {
            // The question's own name is a pointer to it (offset 12), as ``ResponseEncoder/writeOwner`` finds.
            name == q.name
                ? { $0.writeUInt16(0xC00C) } : { ResponseEncoder.writeOwner(name, question: q.name, into: &$0) }
        }
        /// The SOA (and its RRSIG) with the negative TTL (RFC 2308 §3, RFC 9077), as ``Lookup/addSOA`` adds it.
        func soa() -> Int {
            guard let apex = zone.apexOwner, case .soa(let data)? = zone.soa?.rrset.rdatas.first,
                let ttl = zone.soa?.rrset.ttl
            else { return 0 }
            return apex.write(
                .soa, signatures: dnssec, ttl: min(ttl, data.minimum), into: &w, owner: owner(zone.apex))
        }

        var rcode: UInt16 = 0
        var answers = 0
        var authority = 0
        guard let (found, exact) = zone.find(qname) else { return nil }
        if exact {
            guard !found.isEmpty else { return nil }
            if found.contains(q.type) {
                answers = found.write(q.type, signatures: dnssec, into: &w, owner: owner(qname))
            } else {
                guard !found.contains(.cname) else { return nil }
                authority = soa()
                if dnssec { authority += found.write(.nsec, signatures: true, into: &w, owner: owner(qname)) }
            }
        } else {
            let cover = found
            guard let next = cover.nextName else { return nil }
            if next != qname && next.isSubdomain(of: qname) {
                // An empty non-terminal: NODATA, proved by the NSEC before it.
                authority = soa()
                if dnssec { authority += cover.write(.nsec, signatures: true, into: &w, owner: owner(cover.name)) }
            } else {
                // Absent: the closest encloser is read off the covering NSEC (as ``Lookup/closestEncloser``); a
                // wildcard below it would synthesise an answer, which the general path builds.
                var encloser = qname.parent ?? zone.apex
                while encloser != zone.apex, !cover.name.isSubdomain(of: encloser), !next.isSubdomain(of: encloser),
                    let p = encloser.parent
                {
                    encloser = p
                }
                guard let wildcard = try? encloser.prepending(label: [UInt8(ascii: "*")]),
                    let (wcover, wildcardExists) = zone.find(wildcard), !wildcardExists
                else { return nil }
                rcode = ResponseCode.nxDomain.rawValue
                authority = soa()
                if dnssec {
                    authority += cover.write(.nsec, signatures: true, into: &w, owner: owner(cover.name))
                    if wcover.name != cover.name {
                        authority += wcover.write(.nsec, signatures: true, into: &w, owner: owner(wcover.name))
                    }
                }
            }
        }
        var additional = 0
        if let edns = query.edns {
            // OPT: root owner, our payload size, DO echoed, no options (RFC 6891 §6.1.2).
            w.writeUInt8(0)
            w.writeUInt16(RecordType.opt.rawValue)
            w.writeUInt16(advertisedUDPPayload)
            w.writeUInt32(edns.dnssecOK ? 0x8000 : 0)
            w.writeUInt16(0)
            additional = 1
        }
        // An answer that does not fit is cut by the general path, which sets TC.
        guard w.bytes.count <= maxSize else { return nil }
        var flags: UInt16 = 0x8000 | 0x0400 | UInt16(rcode & 0x0F)
        if query.header.rd { flags |= 0x0100 }
        if query.header.cd { flags |= 0x0010 }
        w.patchUInt16(at: 2, flags)
        w.patchUInt16(at: 4, 1)
        w.patchUInt16(at: 6, UInt16(truncatingIfNeeded: answers))
        w.patchUInt16(at: 8, UInt16(truncatingIfNeeded: authority))
        w.patchUInt16(at: 10, UInt16(truncatingIfNeeded: additional))
        return w.bytes
    }
}
