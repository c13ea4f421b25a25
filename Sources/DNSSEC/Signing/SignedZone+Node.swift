import DNSWire

// A node's packed form: its RRsets one after another, each
//
//   type (2) | TTL (4) | RDATA count (2) | RRSIG count (2) | per RDATA: length (2) + RDATA | per RRSIG: length (2) + RRSIG RDATA
//
// with every field in network order and RDATA in uncompressed wire form (RFC 4034 §6.2 names as stored).

extension SignedZone {
    /// One RRset and its signatures, decoded: the form the signer works on.
    struct Entry: Sendable, Equatable {
        var type: RecordType
        var ttl: UInt32
        var rdatas: [RData]
        var signatures: [RRSIG]
    }

    /// The RRsets at one owner name, packed in one byte array.
    ///
    /// Why packed: a zone holds two names per device, and as decoded values (an array of entries, each with arrays
    /// of RDATA and RRSIGs, each with its own byte arrays) a device cost about 3 KB in about twenty heap blocks. One
    /// array per name costs the bytes themselves plus one block header. Answers and the signer decode the few
    /// RRsets they need; the refresh scan reads signature expirations in place.
    struct Node: Sendable {
        private(set) var packed: [UInt8] = []

        init() {}

        init(entries: [Entry]) { packed = Self.pack(entries) }

        /// A node with room for `reserve` more octets, so that an RRset added later (the NSEC, once the order of
        /// all names is known) goes in place instead of into a copy: at ten million names a copy of every node
        /// would need the zone's memory twice.
        init(entries: [Entry], reserving reserve: Int) { packed = Self.pack(entries, reserving: reserve) }

        /// Adds `entries` after the node's RRsets, in place when the node has room.
        mutating func append(_ entries: [Entry]) { packed.append(contentsOf: Self.pack(entries)) }

        /// Every RRset, decoded; setting it packs the node again (the signer changes a few nodes at a time).
        var entries: [Entry] {
            get {
                var out: [Entry] = []
                var at = 0
                while at < packed.count {
                    let h = header(at)
                    out.append(decode(h))
                    at = h.end
                }
                return out
            }
            set { packed = Self.pack(newValue) }
        }

        /// The RRset of `type`, decoded (its RRSIGs only when `signatures`), or nil.
        func entry(_ type: RecordType, signatures: Bool = true) -> Entry? {
            var at = 0
            while at < packed.count {
                let h = header(at)
                if h.type == type { return decode(h, signatures: signatures) }
                at = h.end
            }
            return nil
        }

        /// Whether the name holds data other than NSEC (an NSEC alone is what a removed name leaves behind).
        var hasData: Bool {
            var at = 0
            while at < packed.count {
                let h = header(at)
                if h.type != .nsec && h.rdataCount > 0 { return true }
                at = h.end
            }
            return false
        }

        /// The types and signature expirations of every RRset, read in place (no decoding).
        func forEachRRSet(_ body: (_ type: RecordType, _ unsigned: Bool, _ earliestExpiration: UInt32) -> Void) {
            var at = 0
            while at < packed.count {
                let h = header(at)
                var earliest = UInt32.max
                var p = h.signaturesStart
                for _ in 0..<h.signatureCount {
                    // RRSIG RDATA: type covered (2), algorithm (1), labels (1), original TTL (4), expiration (4).
                    earliest = min(earliest, u32(p + 2 + 8))
                    p += 2 + Int(u16(p))
                }
                body(h.type, h.signatureCount == 0, earliest)
                at = h.end
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

        private func u16(_ at: Int) -> UInt16 { UInt16(packed[at]) << 8 | UInt16(packed[at + 1]) }

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

        /// Whether any RRset holds records.
        var holdsRecords: Bool {
            var at = 0
            while at < packed.count {
                let h = header(at)
                if h.rdataCount > 0 { return true }
                at = h.end
            }
            return false
        }

        /// Whether the RRset of `type` holds records.
        func holds(_ type: RecordType) -> Bool {
            var at = 0
            while at < packed.count {
                let h = header(at)
                if h.type == type { return h.rdataCount > 0 }
                at = h.end
            }
            return false
        }

        /// The types of the RRsets that hold records, in stored order.
        var types: [RecordType] {
            var out: [RecordType] = []
            var at = 0
            while at < packed.count {
                let h = header(at)
                if h.rdataCount > 0 { out.append(h.type) }
                at = h.end
            }
            return out
        }

        private func decode(_ h: Header, signatures decodeSignatures: Bool = true) -> Entry {
            var reader = WireReader(packed)
            func next(_ type: RecordType, at p: inout Int) -> RData {
                let length = Int(u16(p))
                reader.offset = p + 2
                reader.end = p + 2 + length
                p += 2 + length
                // Packed by `pack` from values that encoded, so the octets decode; `unknown` keeps them if not.
                return (try? RData(type: type, wire: &reader))
                    ?? .unknown(UnknownRData(type: type, data: Array(packed[(p - length)..<p])))
            }
            var p = h.rdatasStart
            var rdatas: [RData] = []
            rdatas.reserveCapacity(h.rdataCount)
            for _ in 0..<h.rdataCount { rdatas.append(next(h.type, at: &p)) }
            var signatures: [RRSIG] = []
            guard decodeSignatures else { return Entry(type: h.type, ttl: h.ttl, rdatas: rdatas, signatures: []) }
            signatures.reserveCapacity(h.signatureCount)
            for _ in 0..<h.signatureCount {
                if case .rrsig(let s) = next(.rrsig, at: &p) { signatures.append(s) }
            }
            return Entry(type: h.type, ttl: h.ttl, rdatas: rdatas, signatures: signatures)
        }

        private static func pack(_ entries: [Entry], reserving reserve: Int = 0) -> [UInt8] {
            var w = WireWriter(capacity: 0)
            for e in entries {
                w.writeUInt16(e.type.rawValue)
                w.writeUInt32(e.ttl)
                w.writeUInt16(UInt16(e.rdatas.count))
                w.writeUInt16(UInt16(e.signatures.count))
                for r in e.rdatas { write(r, into: &w) }
                for s in e.signatures { write(.rrsig(s), into: &w) }
            }
            // Exactly the bytes (and the room asked for): `WireWriter` grows its array geometrically, and the slack
            // would be kept.
            return exactCopy(w.bytes, reserving: reserve)
        }

        /// The bytes in a block of their own, with no spare capacity but `reserve` octets (`Array(_:)` would share
        /// or keep slack).
        static func exactCopy(_ bytes: [UInt8], reserving reserve: Int = 0) -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: bytes.count + reserve) { buffer, count in
                _ = buffer.initialize(from: bytes)
                count = bytes.count
            }
        }

        private static func write(_ rdata: RData, into w: inout WireWriter) {
            let lengthAt = w.bytes.count
            w.writeUInt16(0)
            rdata.encode(into: &w)
            w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
        }
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
        (try? DNSName(wire: SignedZone.Node.exactCopy(name.wire))) ?? name
    }
}
