import DNSWire

// A node's packed form: its RRsets one after another, each
//
//   type (2) | TTL (4) | RDATA count (2) | RRSIG count (2) | per RDATA: length (2) + RDATA | per RRSIG: length (2) + RRSIG
//
// with every field in network order and RDATA in uncompressed wire form (RFC 4034 §6.2 names as stored). Two
// things are left out because the zone knows them:
//
// - an NSEC's RDATA (kept with length 0): its next name is the next name in the zone's order, and its type bitmap
//   the types of the node's other RRsets;
// - an RRSIG's type covered, labels, original TTL and signer name, when they are the RRset's type, the owner's
//   label count, the RRset's TTL and the apex (always, for signatures the zone made). Such an RRSIG is stored as
//   0 | algorithm (1) | expiration (4) | inception (4) | key tag (2) | signature; any other as 1 | RRSIG RDATA.
//
// Together that is about 200 octets a device (two names, four signatures) of the ~1,650 the zone took before.

extension SignedZone {
    /// One RRset and its signatures, decoded: the form the signer works on.
    struct Entry: Sendable, Equatable {
        var type: RecordType
        var ttl: UInt32
        var rdatas: [RData]
        var signatures: [RRSIG]
    }

    /// What decoding a node needs to know besides its octets: the owner (the RRSIGs' label count), the apex (their
    /// signer) and the next name in the NSEC chain (the NSEC's next name; nil for a name outside the chain).
    struct NodeContext {
        var owner: DNSName
        var apex: DNSName
        var next: DNSName?
    }

    /// The RRsets at one owner name, packed.
    ///
    /// Why packed: a zone holds two names per device, and as decoded values (an array of entries, each with arrays
    /// of RDATA and RRSIGs, each with its own byte arrays) a device cost about 3 KB in about twenty heap blocks.
    /// Answers and the signer decode the few RRsets they need; the refresh scan reads expirations in place. A node
    /// is a range of octets: in an array of its own while the signer builds it, then in a chunk of the zone's
    /// ``ZoneTree`` shared with its neighbours (no block of its own at all).
    struct Node: Sendable {
        let bytes: [UInt8]
        let start: Int
        let end: Int

        init() {
            bytes = []
            start = 0
            end = 0
        }

        init(bytes: [UInt8], start: Int, end: Int) {
            self.bytes = bytes
            self.start = start
            self.end = end
        }

        init(entries: [Entry], owner: DNSName, apex: DNSName) {
            bytes = Self.pack(entries, labels: CanonicalRRSet.rrsigLabels(for: owner), apex: apex)
            start = 0
            end = bytes.count
        }

        /// A node in an array of its own that starts with its owner's ``NameKey`` (`length (2) | key`), as the
        /// builder keeps nodes until it knows their order: the name needs no block of its own, which would sit
        /// among the nodes and keep their pages from going back to the system once they are freed.
        init(entries: [Entry], owner: DNSName, apex: DNSName, key: [UInt8]) {
            var all = [UInt8(key.count >> 8), UInt8(key.count & 0xFF)] + key
            all += Self.pack(entries, labels: CanonicalRRSet.rrsigLabels(for: owner), apex: apex)
            bytes = exactCopy(all)
            start = 2 + key.count
            end = bytes.count
        }

        /// The owner's key of a node made with one (empty for the apex).
        var key: ArraySlice<UInt8> { start >= 2 ? bytes[2..<start] : [] }

        /// The packed octets.
        var octets: ArraySlice<UInt8> { bytes[start..<end] }

        /// This node with `entries` packed after its RRsets (and the key before them, if it has one).
        func appending(_ entries: [Entry], owner: DNSName, apex: DNSName) -> Node {
            let more = Self.pack(entries, labels: CanonicalRRSet.rrsigLabels(for: owner), apex: apex)
            let all = exactCopy(Array(bytes[0..<end]) + more)
            return Node(bytes: all, start: start, end: all.count)
        }

        /// Every RRset, decoded.
        func entries(_ context: NodeContext) -> [Entry] {
            var out: [Entry] = []
            var at = start
            while at < end {
                let h = header(at)
                out.append(decode(h, context))
                at = h.end
            }
            return out
        }

        /// The RRset of `type`, decoded (its RRSIGs only when `signatures`), or nil.
        func entry(_ type: RecordType, signatures: Bool = true, _ context: NodeContext) -> Entry? {
            var at = start
            while at < end {
                let h = header(at)
                if h.type == type { return decode(h, context, signatures: signatures) }
                at = h.end
            }
            return nil
        }

        /// Whether the name holds data other than NSEC (an NSEC alone is what a removed name leaves behind).
        var hasData: Bool {
            var at = start
            while at < end {
                let h = header(at)
                if h.type != .nsec && h.rdataCount > 0 { return true }
                at = h.end
            }
            return false
        }

        /// The types and signature expirations of every RRset, read in place (no decoding).
        func forEachRRSet(_ body: (_ type: RecordType, _ unsigned: Bool, _ earliestExpiration: UInt32) -> Void) {
            var at = start
            while at < end {
                let h = header(at)
                var earliest = UInt32.max
                var p = h.signaturesStart
                for _ in 0..<h.signatureCount {
                    // Compact: form, algorithm, then expiration. Full RDATA: form, type covered (2), algorithm (1),
                    // labels (1), original TTL (4), then expiration.
                    earliest = min(earliest, u32(p + 2 + (bytes[p + 2] == 0 ? 2 : 9)))
                    p += 2 + Int(u16(p))
                }
                body(h.type, h.signatureCount == 0, earliest)
                at = h.end
            }
        }

        /// Whether any RRset holds records.
        var holdsRecords: Bool {
            var at = start
            while at < end {
                let h = header(at)
                if h.rdataCount > 0 { return true }
                at = h.end
            }
            return false
        }

        /// Whether the RRset of `type` holds records.
        func holds(_ type: RecordType) -> Bool {
            var at = start
            while at < end {
                let h = header(at)
                if h.type == type { return h.rdataCount > 0 }
                at = h.end
            }
            return false
        }

        /// The types of the RRsets that hold records, in stored order.
        var types: [RecordType] {
            var out: [RecordType] = []
            var at = start
            while at < end {
                let h = header(at)
                if h.rdataCount > 0 { out.append(h.type) }
                at = h.end
            }
            return out
        }

        /// Writes the RRset of `type` (and, with `signatures`, its RRSIGs) as resource records in wire form, each
        /// owner name written by `owner`, with `ttl` in place of the stored TTL when given (the RRSIGs keep their
        /// original TTL field). The RDATA is copied as stored; only an NSEC's is made, from `context`.
        ///
        /// - Returns: the number of records written, 0 when the node holds no such RRset.
        func write(
            _ type: RecordType, signatures: Bool, ttl: UInt32?, _ context: NodeContext, into w: inout WireWriter,
            owner: (inout WireWriter) -> Void
        ) -> Int {
            var at = start
            while at < end {
                let h = header(at)
                guard h.type == type else {
                    at = h.end
                    continue
                }
                guard h.rdataCount > 0 else { return 0 }
                let recordTTL = ttl ?? h.ttl
                var written = 0
                var p = h.rdatasStart
                for _ in 0..<h.rdataCount {
                    let length = Int(u16(p))
                    owner(&w)
                    w.writeUInt16(type.rawValue)
                    w.writeUInt16(1)
                    w.writeUInt32(recordTTL)
                    let lengthAt = w.bytes.count
                    w.writeUInt16(0)
                    if type == .nsec && length == 0 {
                        w.writeBytes((context.next ?? context.owner).wire)
                        writeNSECBitmap(into: &w)
                    } else {
                        bytes.withUnsafeBufferPointer {
                            w.writeBytes(UnsafeBufferPointer(rebasing: $0[(p + 2)..<(p + 2 + length)]))
                        }
                    }
                    w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
                    written += 1
                    p += 2 + length
                }
                guard signatures else { return written }
                for _ in 0..<h.signatureCount {
                    let length = Int(u16(p))
                    let body = p + 3
                    owner(&w)
                    w.writeUInt16(RecordType.rrsig.rawValue)
                    w.writeUInt16(1)
                    w.writeUInt32(recordTTL)
                    let lengthAt = w.bytes.count
                    w.writeUInt16(0)
                    bytes.withUnsafeBufferPointer { b in
                        if b[p + 2] == 0 {
                            // type covered, algorithm, labels, original TTL, expiration, inception, key tag, signer.
                            w.writeUInt16(type.rawValue)
                            w.writeUInt8(b[body])
                            w.writeUInt8(CanonicalRRSet.rrsigLabels(for: context.owner))
                            w.writeUInt32(h.ttl)
                            w.writeBytes(UnsafeBufferPointer(rebasing: b[(body + 1)..<(body + 11)]))
                            w.writeBytes(context.apex.wire)
                            w.writeBytes(UnsafeBufferPointer(rebasing: b[(body + 11)..<(p + 2 + length)]))
                        } else {
                            w.writeBytes(UnsafeBufferPointer(rebasing: b[body..<(p + 2 + length)]))
                        }
                    }
                    w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
                    written += 1
                    p += 2 + length
                }
                return written
            }
            return 0
        }

        /// The type bitmap of this node's NSEC (RFC 4034 §4.1.2): the types holding records, RRSIG and NSEC, in
        /// windows of 256. Written here, not through ``TypeBitmap`` (a set, sorted, then encoded): every negative
        /// answer with DNSSEC carries one or two.
        private func writeNSECBitmap(into w: inout WireWriter) {
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 66) { list in
                var n = 0
                func insert(_ t: UInt16) {
                    guard n < list.count else { return }
                    var i = n
                    while i > 0 && list[i - 1] > t { i -= 1 }
                    if i > 0 && list[i - 1] == t { return }
                    var k = n
                    while k > i {
                        list[k] = list[k - 1]
                        k -= 1
                    }
                    list[i] = t
                    n += 1
                }
                var at = start
                while at < end {
                    let h = header(at)
                    if h.rdataCount > 0 && h.type != .nsec { insert(h.type.rawValue) }
                    at = h.end
                }
                insert(RecordType.rrsig.rawValue)
                insert(RecordType.nsec.rawValue)
                var i = 0
                while i < n {
                    let window = list[i] >> 8
                    var j = i
                    while j < n && list[j] >> 8 == window { j += 1 }
                    let octets = Int(list[j - 1] & 0xFF) / 8 + 1
                    w.writeUInt8(UInt8(window))
                    w.writeUInt8(UInt8(octets))
                    let from = w.bytes.count
                    for _ in 0..<octets { w.writeUInt8(0) }
                    for k in i..<j {
                        let bit = Int(list[k] & 0xFF)
                        w.bytes[from + bit / 8] |= 0x80 >> UInt8(bit % 8)
                    }
                    i = j
                }
            }
        }

        // MARK: - layout

        struct Header {
            var type: RecordType
            var ttl: UInt32
            var rdataCount: Int
            var signatureCount: Int
            var rdatasStart: Int
            var signaturesStart: Int
            var end: Int
        }

        private func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }

        private func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) << 16 | UInt32(u16(at + 2)) }

        private func header(_ at: Int) -> Header {
            let rdataCount = Int(u16(at + 6))
            let signatureCount = Int(u16(at + 8))
            var p = at + 10
            for _ in 0..<rdataCount { p += 2 + Int(u16(p)) }
            let signaturesStart = p
            for _ in 0..<signatureCount { p += 2 + Int(u16(p)) }
            return Header(
                type: RecordType(rawValue: u16(at)), ttl: u32(at + 2), rdataCount: rdataCount,
                signatureCount: signatureCount, rdatasStart: at + 10, signaturesStart: signaturesStart, end: p)
        }

        private func decode(_ h: Header, _ context: NodeContext, signatures decodeSignatures: Bool = true) -> Entry {
            var reader = WireReader(bytes)
            var p = h.rdatasStart
            var rdatas: [RData] = []
            rdatas.reserveCapacity(h.rdataCount)
            for _ in 0..<h.rdataCount {
                let length = Int(u16(p))
                if h.type == .nsec && length == 0 {
                    rdatas.append(.nsec(SignedZone.nsec(types: types, next: context.next ?? context.owner)))
                } else {
                    reader.offset = p + 2
                    reader.end = p + 2 + length
                    // Packed by `pack` from values that encoded, so the octets decode; `unknown` keeps them if not.
                    rdatas.append(
                        (try? RData(type: h.type, wire: &reader))
                            ?? .unknown(UnknownRData(type: h.type, data: Array(bytes[(p + 2)..<(p + 2 + length)]))))
                }
                p += 2 + length
            }
            guard decodeSignatures else { return Entry(type: h.type, ttl: h.ttl, rdatas: rdatas, signatures: []) }
            var signatures: [RRSIG] = []
            signatures.reserveCapacity(h.signatureCount)
            for _ in 0..<h.signatureCount {
                let length = Int(u16(p))
                let body = p + 3
                if bytes[p + 2] == 0 {
                    signatures.append(
                        RRSIG(
                            typeCovered: h.type, algorithm: DNSSECAlgorithm(rawValue: bytes[body]),
                            labels: CanonicalRRSet.rrsigLabels(for: context.owner), originalTTL: h.ttl,
                            expiration: u32(body + 1), inception: u32(body + 5), keyTag: u16(body + 9),
                            signerName: context.apex, signature: Array(bytes[(body + 11)..<(p + 2 + length)])))
                } else {
                    reader.offset = body
                    reader.end = p + 2 + length
                    if case .rrsig(let s)? = try? RData(type: .rrsig, wire: &reader) { signatures.append(s) }
                }
                p += 2 + length
            }
            return Entry(type: h.type, ttl: h.ttl, rdatas: rdatas, signatures: signatures)
        }

        private static func pack(_ entries: [Entry], labels: UInt8, apex: DNSName) -> [UInt8] {
            var w = WireWriter(capacity: 0)
            for e in entries {
                w.writeUInt16(e.type.rawValue)
                w.writeUInt32(e.ttl)
                w.writeUInt16(UInt16(e.rdatas.count))
                w.writeUInt16(UInt16(e.signatures.count))
                for r in e.rdatas {
                    if e.type == .nsec {
                        w.writeUInt16(0)
                    } else {
                        let lengthAt = w.bytes.count
                        w.writeUInt16(0)
                        r.encode(into: &w)
                        w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
                    }
                }
                for s in e.signatures {
                    let lengthAt = w.bytes.count
                    w.writeUInt16(0)
                    if s.typeCovered == e.type && s.labels == labels && s.originalTTL == e.ttl && s.signerName == apex {
                        w.writeUInt8(0)
                        w.writeUInt8(s.algorithm.rawValue)
                        w.writeUInt32(s.expiration)
                        w.writeUInt32(s.inception)
                        w.writeUInt16(s.keyTag)
                        w.writeBytes(s.signature)
                    } else {
                        w.writeUInt8(1)
                        RData.rrsig(s).encode(into: &w)
                    }
                    w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
                }
            }
            // Exactly the bytes: `WireWriter` grows its array geometrically, and the slack would be kept.
            return exactCopy(w.bytes)
        }
    }
}

/// The bytes in a block of their own, with no spare capacity (`Array(_:)` would share or keep slack).
func exactCopy<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
    [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
        _ = buffer.initialize(from: bytes)
        count = bytes.count
    }
}

extension Array where Element == SignedZone.Entry {
    /// Adds a record to its RRset (a new one if needed), ignoring a duplicate (RFC 2181 §5: an RRset is a set).
    mutating func add(_ r: ResourceRecord) {
        if let i = firstIndex(where: { $0.type == r.type }) {
            if !self[i].rdatas.contains(r.rdata) { self[i].rdatas.append(r.rdata) }
        } else {
            append(SignedZone.Entry(type: r.type, ttl: r.ttl, rdatas: [r.rdata], signatures: []))
        }
    }
}

extension DNSName {
    /// The same name in a block of its own with no spare capacity, for names the zone keeps.
    static func compactCopy(of name: DNSName) -> DNSName {
        // Cannot fail: the octets are a valid name's.
        (try? DNSName(wire: exactCopy(name.wire))) ?? name
    }
}
