import DNSWire
public import Foundation

extension SignedZone {
    private struct Touch: Hashable {
        var name: DNSName
        var type: RecordType
    }

    /// Applies a change set, re-signing only the RRsets it touched.
    ///
    /// Fixes the NSEC records of added and removed names and of their predecessors, bumps the SOA serial (RFC 1982)
    /// and re-signs the SOA. A change that alters nothing returns an empty diff and keeps the serial.
    ///
    /// - Returns: the IXFR-shaped difference (old SOA and removed records; new SOA and added records).
    /// - Throws: ``DNSSECError`` `outOfZone`, `managedType` (RRSIG, NSEC, DNSKEY, SOA), `unsupportedChange` (NS/DS
    ///   below the apex or data below a delegation), `signingFailed`. On an input error the zone is unchanged; after `signingFailed`, re-sign it from scratch.
    public mutating func apply(_ change: ZoneChange, now: Date = Date()) throws -> ZoneDiff {
        for r in change.removals + change.additions { try checkChangeable(r.name, r.type) }
        for n in change.removedNames {
            try checkChangeable(n, .a)
            guard n != apex else { throw DNSSECError(.unsupportedChange, "the apex cannot be removed") }
        }
        // Mutate in place: copying the zone would cost O(n). Every input check is done above, so only a failure
        // of the crypto library itself (`signingFailed`) can leave the zone half-changed; re-sign it in full then.
        return try applyUnchecked(change, now: now)
    }

    private func checkChangeable(_ name: DNSName, _ type: RecordType) throws {
        guard name.isSubdomain(of: apex) else {
            throw DNSSECError(.outOfZone, "\(name) is not at or below the apex \(apex)")
        }
        guard !Self.managedTypes.contains(type), type != .soa else {
            throw DNSSECError(.managedType, "\(type) records are managed by the signer; change keys or policy instead")
        }
        let lower = name.lowercased()
        if lower != apex && (type == .ns || type == .ds) {
            throw DNSSECError(.unsupportedChange, "delegations (\(type) at \(name)) need a full re-sign")
        }
        if cuts.contains(lower) || (!cuts.isEmpty && Self.isBelowCut(lower, cuts: cuts, apex: apex)) {
            throw DNSSECError(.unsupportedChange, "\(name) is at or below a delegation; re-sign the zone in full")
        }
    }

    /// The data RRsets at `name` (its NSEC left out), decoded; empty when the zone has no such name.
    private func dataEntries(_ name: DNSName) -> [Entry] {
        guard let (node, p) = located(name) else { return [] }
        return node.entries(context(name, at: p, next: false)).filter { $0.type != .nsec }
    }

    /// An NSEC as it was before a change: its record and signatures, to take out in the diff.
    private struct OldNSEC {
        var ttl: UInt32
        var rdata: RData
        var signatures: [RRSIG]
    }

    private mutating func applyUnchecked(_ change: ZoneChange, now: Date) throws -> ZoneDiff {
        var removed: [ResourceRecord] = []
        var added: [ResourceRecord] = []
        var touched: Set<Touch> = []
        var existedBefore: [DNSName: Bool] = [:]

        // Each changed name's data RRsets, decoded once here, changed, and packed again once.
        var open: [DNSName: [Entry]] = [:]
        func entries(_ name: DNSName) -> [Entry] {
            if existedBefore[name] == nil { existedBefore[name] = tree[name]?.hasData ?? false }
            return open[name] ?? dataEntries(name)
        }
        for r in change.removals {
            let name = r.name.lowercased()
            var e = entries(name)
            guard let i = e.firstIndex(where: { $0.type == r.type }), let j = e[i].rdatas.firstIndex(of: r.rdata)
            else { continue }
            e[i].rdatas.remove(at: j)
            removed.append(ResourceRecord(name: name, ttl: e[i].ttl, rdata: r.rdata))
            touched.insert(Touch(name: name, type: r.type))
            open[name] = e
        }
        for n in change.removedNames {
            let name = n.lowercased()
            var e = entries(name)
            guard existedBefore[name] == true || open[name] != nil else { continue }
            for i in e.indices where !e[i].rdatas.isEmpty {
                for rd in e[i].rdatas { removed.append(ResourceRecord(name: name, ttl: e[i].ttl, rdata: rd)) }
                e[i].rdatas = []
                touched.insert(Touch(name: name, type: e[i].type))
            }
            open[name] = e
        }
        for r in change.additions {
            let name = r.name.lowercased()
            var e = entries(name)
            if let i = e.firstIndex(where: { $0.type == r.type }) {
                guard !e[i].rdatas.contains(r.rdata) else { continue }
                if e[i].rdatas.isEmpty && e[i].signatures.isEmpty { e[i].ttl = r.ttl }
                e[i].rdatas.append(r.rdata)
                added.append(ResourceRecord(name: name, ttl: e[i].ttl, rdata: r.rdata))
            } else {
                e.append(Entry(type: r.type, ttl: r.ttl, rdatas: [r.rdata], signatures: []))
                added.append(ResourceRecord(name: name, ttl: r.ttl, rdata: r.rdata))
            }
            touched.insert(Touch(name: name, type: r.type))
            open[name] = e
        }
        // A removal and re-addition of the same record cancel out.
        let both = Set(removed).intersection(added)
        if !both.isEmpty {
            removed.removeAll { both.contains($0) }
            added.removeAll { both.contains($0) }
        }
        guard !removed.isEmpty || !added.isEmpty else {
            return ZoneDiff(oldSerial: serial, newSerial: serial, removed: [], added: [])
        }

        // The NSECs that may change, as they are now: each changed name's own and its predecessor's. (The zone
        // keeps no NSEC RDATA, so once the order changes the old ones can no longer be read.)
        var oldNSECs: [DNSName: OldNSEC] = [:]
        func remember(_ p: ZoneTree.Position) {
            let name = tree.name(at: p)
            guard oldNSECs[name] == nil,
                let e = tree.node(at: p).entry(
                    .nsec, NodeContext(owner: name, apex: apex, next: tree.name(at: tree.next(after: p)))),
                let rdata = e.rdatas.first
            else { return }
            oldNSECs[name] = OldNSEC(ttl: e.ttl, rdata: rdata, signatures: e.signatures)
        }
        for name in open.keys where tree.count > 0 {
            let key = NameKey.make(name, apex: apex)
            let p = tree.lowerBound(key)
            if tree.holds(key, at: p) { remember(p) }
            remember(tree.previous(before: p))
        }

        var jobs: [ParallelSigning.Job] = []
        var refs: [Touch] = []
        for t in touched {
            guard var entries = open[t.name], let i = entries.firstIndex(where: { $0.type == t.type }) else { continue }
            let e = entries[i]
            for s in e.signatures { removed.append(ResourceRecord(name: t.name, ttl: e.ttl, rdata: .rrsig(s))) }
            entries[i].signatures = []
            if e.rdatas.isEmpty {
                entries.remove(at: i)
            } else {
                jobs.append(job(t.name, entries[i]))
                refs.append(t)
            }
            open[t.name] = entries
        }

        // The changed names go in (or out of) the order, each keeping its NSEC's old signatures for now.
        let nsecTTL = self.nsecTTL
        var created: [DNSName] = []
        var deleted: [DNSName] = []
        var updates: [(name: DNSName, node: Node?)] = []
        for (name, entries) in open {
            let has = entries.contains { !$0.rdatas.isEmpty }
            let existed = existedBefore[name] ?? false
            if has {
                var all = entries
                if let old = oldNSECs[name], existed {
                    all.append(Entry(type: .nsec, ttl: old.ttl, rdatas: [old.rdata], signatures: old.signatures))
                }
                updates.append((name, Node(entries: all, owner: name, apex: apex)))
                if !existed { created.append(name) }
            } else {
                updates.append((name, nil))
                if existed { deleted.append(name) }
            }
        }
        tree.update(updates)

        // Names whose NSEC changes: every changed name still present (its types may differ) and the name before
        // each added or removed one (its next name differs).
        var dirty: Set<DNSName> = Set(open.keys.filter { open[$0]?.contains { !$0.rdatas.isEmpty } ?? false })
        for name in created + deleted {
            if let p = tree.previousName(before: name) { dirty.insert(p) }
        }
        for name in deleted {
            guard let old = oldNSECs[name] else { continue }
            removed.append(ResourceRecord(name: name, ttl: old.ttl, rdata: old.rdata))
            for s in old.signatures { removed.append(ResourceRecord(name: name, ttl: old.ttl, rdata: .rrsig(s))) }
        }
        for name in dirty {
            guard let node = tree[name], let next = tree.nextName(after: name) else { continue }
            let fresh = RData.nsec(Self.nsec(types: node.types, next: next))
            if let old = oldNSECs[name] {
                if old.rdata == fresh && !old.signatures.isEmpty { continue }
                removed.append(ResourceRecord(name: name, ttl: old.ttl, rdata: old.rdata))
                for s in old.signatures { removed.append(ResourceRecord(name: name, ttl: old.ttl, rdata: .rrsig(s))) }
            }
            let entry = Entry(type: .nsec, ttl: nsecTTL, rdatas: [fresh], signatures: [])
            added.append(ResourceRecord(name: name, ttl: entry.ttl, rdata: fresh))
            jobs.append(job(name, entry))
            refs.append(Touch(name: name, type: .nsec))
        }
        return try finish(jobs: jobs, refs: refs, removed: removed, added: added, now: now)
    }

    /// Moves the SOA serial to `target` when that is ahead of the current one (RFC 1982), else one step, and
    /// re-signs the SOA: a signer taking over from another starts after every serial the other published.
    public mutating func advanceSerial(to target: UInt32, now: Date = Date()) throws -> ZoneDiff {
        try finish(jobs: [], refs: [], removed: [], added: [], now: now, serial: target)
    }

    /// Bumps the serial (to `target` when given and ahead), re-signs the SOA and the given jobs, and assembles
    /// the diff with the SOAs first.
    private mutating func finish(
        jobs: [ParallelSigning.Job], refs: [Touch], removed: [ResourceRecord], added: [ResourceRecord], now: Date,
        serial target: UInt32? = nil
    ) throws -> ZoneDiff {
        var jobs = jobs
        var refs = refs
        var removed = removed
        var added = added
        guard var apexEntries = entries(apex), let si = apexEntries.firstIndex(where: { $0.type == .soa }),
            case .soa(var soa) = apexEntries[si].rdatas.first
        else { throw DNSSECError(.missingRecord, "the apex SOA is gone") }
        let oldSerial = soa.serial
        let soaEntry = apexEntries[si]
        let oldSOA = ResourceRecord(name: apex, ttl: soaEntry.ttl, rdata: .soa(soa))
        for s in soaEntry.signatures { removed.append(ResourceRecord(name: apex, ttl: soaEntry.ttl, rdata: .rrsig(s))) }
        soa.serial = SerialNumber(oldSerial).next().rawValue
        // RFC 1982: `target` is ahead of `oldSerial` when the distance is in (0, 2^31).
        if let target, target &- oldSerial > 1, target &- oldSerial < 1 << 31 { soa.serial = target }
        apexEntries[si].rdatas = [.soa(soa)]
        jobs.append(job(apex, apexEntries[si]))
        refs.append(Touch(name: apex, type: .soa))
        let sigs = try sign(jobs, now: now)
        // Decode each signed node once, then pack it once with its new signatures.
        var open: [DNSName: [Entry]] = [apex: apexEntries]
        let nsecTTL = self.nsecTTL
        for (t, sig) in zip(refs, sigs) {
            guard var entries = open[t.name] ?? self.entries(t.name) else { continue }
            let ttl: UInt32
            if let i = entries.firstIndex(where: { $0.type == t.type }) {
                entries[i].signatures = [sig]
                ttl = entries[i].ttl
            } else if t.type == .nsec {
                // A new name's first NSEC (its RDATA is not stored: the order gives it).
                let placeholder = RData.nsec(NSEC(nextName: apex, types: TypeBitmap([])))
                entries.append(Entry(type: .nsec, ttl: nsecTTL, rdatas: [placeholder], signatures: [sig]))
                ttl = nsecTTL
            } else {
                continue
            }
            open[t.name] = entries
            added.append(ResourceRecord(name: t.name, ttl: ttl, rdata: .rrsig(sig)))
        }
        tree.update(open.map { ($0.key, Node(entries: $0.value, owner: $0.key, apex: apex)) })
        self.soa = rrset(apex, .soa)
        let newSOA = ResourceRecord(name: apex, ttl: soaEntry.ttl, rdata: .soa(soa))
        // The new SOA's RRSIG was appended last; keep the SOA itself first.
        removed.insert(oldSOA, at: 0)
        added.insert(newSOA, at: 0)
        return ZoneDiff(oldSerial: oldSerial, newSerial: soa.serial, removed: removed, added: added)
    }

    /// Re-signs every RRset whose signature expires within ``SigningPolicy/refreshWindow`` of `now`.
    ///
    /// - Returns: the diff (old and new RRSIGs, old and new SOA); empty when nothing was due.
    public mutating func refresh(now: Date = Date()) throws -> ZoneDiff {
        let t = Int64(now.timeIntervalSince1970)
        var jobs: [ParallelSigning.Job] = []
        var refs: [Touch] = []
        var removed: [ResourceRecord] = []
        tree.forEach { p in
            let node = tree.node(at: p)
            let name = tree.name(at: p)
            // The expirations are read in place; only a node with something due is decoded.
            var due: Set<RecordType> = []
            node.forEachRRSet { type, unsigned, earliest in
                guard type != .soa, isSigned(name, type) else { return }
                if unsigned || Int64(earliest) - t < Int64(policy.refreshWindow) { due.insert(type) }
            }
            guard !due.isEmpty else { return }
            for e in node.entries(context(name, at: p)) where due.contains(e.type) {
                for s in e.signatures { removed.append(ResourceRecord(name: name, ttl: e.ttl, rdata: .rrsig(s))) }
                jobs.append(job(name, e))
                refs.append(Touch(name: name, type: e.type))
            }
        }
        guard !jobs.isEmpty else { return ZoneDiff(oldSerial: serial, newSerial: serial, removed: [], added: []) }
        return try finish(jobs: jobs, refs: refs, removed: removed, added: [], now: now)
    }

    /// Replaces the zone's keys: re-signs the DNSKEY RRset, and every other RRset when the active ZSK changed.
    ///
    /// A pre-publication ZSK rollover (RFC 6781 §4.1.1.1) is three calls, each a TTL or more apart: publish the new
    /// ZSK in ``ZoneKeys/publishedOnly``; make it the active ZSK keeping the old one published; drop the old one.
    public mutating func replaceKeys(_ newKeys: ZoneKeys, now: Date = Date()) throws -> ZoneDiff {
        let resignAll =
            newKeys.zoneSigningKey.keyTag != keys.zoneSigningKey.keyTag
            || newKeys.zoneSigningKey.dnskey != keys.zoneSigningKey.dnskey
        var copy = self
        copy.keys = newKeys
        var removed: [ResourceRecord] = []
        var added: [ResourceRecord] = []
        var jobs: [ParallelSigning.Job] = []
        var refs: [Touch] = []
        guard var apexEntries = copy.entries(apex),
            let ki = apexEntries.firstIndex(where: { $0.type == .dnskey })
        else {
            throw DNSSECError(.missingRecord, "the apex DNSKEY RRset is gone")
        }
        let old = apexEntries[ki]
        let fresh = newKeys.published.map { RData.dnskey($0.dnskey) }
        for r in old.rdatas where !fresh.contains(r) {
            removed.append(ResourceRecord(name: apex, ttl: old.ttl, rdata: r))
        }
        for r in fresh where !old.rdatas.contains(r) {
            added.append(ResourceRecord(name: apex, ttl: old.ttl, rdata: r))
        }
        apexEntries[ki].rdatas = fresh
        copy.tree.set(Node(entries: apexEntries, owner: apex, apex: apex), for: apex)
        // Only the DNSKEY RRset when the ZSK stays: no need to decode every other name.
        func resign(_ name: DNSName, _ p: ZoneTree.Position) {
            for e in copy.tree.node(at: p).entries(copy.context(name, at: p))
            where e.type != .soa && copy.isSigned(name, e.type) {
                guard e.type == .dnskey || resignAll else { continue }
                for s in e.signatures { removed.append(ResourceRecord(name: name, ttl: e.ttl, rdata: .rrsig(s))) }
                jobs.append(copy.job(name, e))
                refs.append(Touch(name: name, type: e.type))
            }
        }
        if resignAll {
            copy.tree.forEach { p in resign(copy.tree.name(at: p), p) }
        } else if let p = copy.tree.find(apex) {
            resign(apex, p)
        }
        let diff = try copy.finish(jobs: jobs, refs: refs, removed: removed, added: added, now: now)
        self = copy
        return diff
    }
}
