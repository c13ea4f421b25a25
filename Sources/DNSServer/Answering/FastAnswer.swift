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
    /// What an answer needs of a query: one question, and the OPT record's size, version and DO bit.
    struct Query {
        var id: UInt16
        var rd: Bool
        var cd: Bool
        var name: DNSName
        var type: RecordType
        var recordClass: RecordClass
        var edns: (udpPayloadSize: UInt16, version: UInt8, dnssecOK: Bool)?

        /// The query in `bytes`, read without building a ``Message``, when it is a plain one: a standard query, one
        /// uncompressed question, nothing else but perhaps an OPT record with well-formed options, no trailing
        /// octets. Anything else (a TSIG, a malformed packet) is nil: the general path reads it, and refuses it
        /// with the right code.
        init?(wire b: [UInt8]) {
            guard b.count >= 17, b[2] & 0xF8 == 0, b[4] == 0, b[5] == 1, b[6] == 0, b[7] == 0, b[8] == 0, b[9] == 0,
                b[10] == 0, b[11] <= 1
            else { return nil }
            var p = 12
            while p < b.count, b[p] != 0 {
                guard b[p] <= 63 else { return nil }  // a compression pointer or a reserved label type
                p += 1 + Int(b[p])
            }
            guard p + 5 <= b.count, p - 12 + 1 <= DNSName.maxWireLength,
                let name = try? DNSName(wire: Array(b[12...p]))
            else { return nil }
            func u16(_ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
            id = u16(0)
            rd = b[2] & 0x01 != 0
            cd = b[3] & 0x10 != 0
            self.name = name
            type = RecordType(rawValue: u16(p + 1))
            recordClass = RecordClass(rawValue: u16(p + 3))
            p += 5
            if b[11] == 1 {
                // OPT (RFC 6891 §6.1.2): root owner, type 41, class = payload size, TTL = ext-RCODE, version, flags.
                guard p + 11 <= b.count, b[p] == 0, u16(p + 1) == RecordType.opt.rawValue else { return nil }
                let size = u16(p + 3)
                let version = b[p + 6]
                let dnssecOK = b[p + 7] & 0x80 != 0
                let end = p + 11 + Int(u16(p + 9))
                guard end == b.count else { return nil }
                var o = p + 11
                while o + 4 <= end { o += 4 + Int(u16(o + 2)) }
                guard o == end else { return nil }
                edns = (size, version, dnssecOK)
            } else {
                guard p == b.count else { return nil }
                edns = nil
            }
        }
    }

    static func respond(to q: Query, zone: SignedZone, maxSize: Int, advertisedUDPPayload: UInt16) -> [UInt8]? {
        guard q.recordClass == .in, !q.type.isMetaType, q.type != .cname, q.edns.map({ $0.version == 0 }) ?? true,
            !zone.hasDelegations, q.name.isSubdomain(of: zone.apex)
        else { return nil }
        let dnssec = q.edns?.dnssecOK ?? false
        let qname = q.name.lowercased()

        var w = WireWriter(compression: false, capacity: min(maxSize, 1500))
        w.writeUInt16(q.id)
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
            if Lookup.isEmptyNonTerminal(qname, next: next) {
                // An empty non-terminal: NODATA, proved by the NSEC before it.
                authority = soa()
                if dnssec { authority += cover.write(.nsec, signatures: true, into: &w, owner: owner(cover.name)) }
            } else {
                // Absent: a wildcard below the closest encloser would synthesise an answer, which the general
                // path builds.
                let encloser = Lookup.closestEncloser(of: qname, coverOwner: cover.name, next: next, apex: zone.apex)
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
        if let edns = q.edns {
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
        if q.rd { flags |= 0x0100 }
        if q.cd { flags |= 0x0010 }
        w.patchUInt16(at: 2, flags)
        w.patchUInt16(at: 4, 1)
        w.patchUInt16(at: 6, UInt16(truncatingIfNeeded: answers))
        w.patchUInt16(at: 8, UInt16(truncatingIfNeeded: authority))
        w.patchUInt16(at: 10, UInt16(truncatingIfNeeded: additional))
        return w.bytes
    }
}
