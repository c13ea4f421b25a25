import DNSWire

/// The zone's authoritative owner names and their nodes, in canonical order (the NSEC chain), packed in chunks of
/// about 64 names: each name's ``NameKey`` and its node's octets, back to back in one array per chunk.
///
/// Why this shape:
/// - Memory. A name with a node of its own cost two heap blocks (the name, the node), about 100 octets of headers
///   and rounding, plus a hash table entry and a pointer in the order: about 300 octets a device of the ~1,650 the
///   zone took. Packed, a name costs its key (without the apex) and a 4-octet offset.
/// - Every lookup, of a present or an absent name, is one binary search over keys compared with `memcmp`; the NSEC
///   that covers an absent name is the entry before where the search ends, and an NSEC's next name is the entry
///   after its owner, so the zone need not store it.
/// - The snapshot being served and the signer's working copy share the chunks (copy-on-write): a change copies the
///   array of chunk references and the few chunks it touches, not the zone.
struct ZoneTree: Sendable {
    static let chunkSize = 64

    /// Where a name is: its chunk and its index in it. The position after the last name is `(chunks, 0)`.
    struct Position: Hashable, Sendable {
        var chunk: Int
        var index: Int
    }

    /// Names in order, in one block: `count (2) | offset of each record (4 each) | records`, each record
    /// `key length (2) | key | node`. (The offsets in an array of their own cost a heap block per chunk, and
    /// such small blocks, left among the build's freed ones, kept whole pages from going back to the system.)
    struct Chunk: Sendable {
        var bytes: [UInt8] = []

        var count: Int { bytes.isEmpty ? 0 : Int(bytes[0]) << 8 | Int(bytes[1]) }

        @inline(__always) private func offset(_ k: Int) -> Int {
            let p = 2 + 4 * k
            return Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
        }

        func keyRange(_ k: Int) -> Range<Int> {
            let s = offset(k)
            return (s + 2)..<(s + 2 + (Int(bytes[s]) << 8 | Int(bytes[s + 1])))
        }

        func recordEnd(_ k: Int) -> Int { k + 1 < count ? offset(k + 1) : bytes.count }

        func node(_ k: Int) -> SignedZone.Node {
            SignedZone.Node(bytes: bytes, start: keyRange(k).upperBound, end: recordEnd(k))
        }

        /// The first index whose key is not before `key`.
        func lowerBound(_ key: UnsafeRawBufferPointer) -> Int {
            bytes.withUnsafeBytes { all in
                var lo = 0
                var n = count
                while n > 0 {
                    let half = n / 2
                    let r = keyRange(lo + half)
                    if NameKey.compare(UnsafeRawBufferPointer(rebasing: all[r]), key) < 0 {
                        lo += half + 1
                        n -= half + 1
                    } else {
                        n = half
                    }
                }
                return lo
            }
        }

        /// A chunk of `records` (keys in order, at most 65,535), in one block of exactly their size.
        init<Parts: Collection>(_ records: [(key: ArraySlice<UInt8>, parts: Parts)])
        where Parts.Element == ArraySlice<UInt8> {
            var size = 2 + 4 * records.count
            for r in records { size += 2 + r.key.count + r.parts.reduce(0) { $0 + $1.count } }
            bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                func put(_ value: Int, _ octets: Int, at p: Int) {
                    for i in 0..<octets { buffer[p + i] = UInt8(truncatingIfNeeded: value >> (8 * (octets - 1 - i))) }
                }
                put(records.count, 2, at: 0)
                var at = 2 + 4 * records.count
                for (k, r) in records.enumerated() {
                    put(at, 4, at: 2 + 4 * k)
                    put(r.key.count, 2, at: at)
                    at += 2
                    func copy(_ part: ArraySlice<UInt8>) {
                        _ = UnsafeMutableBufferPointer(rebasing: buffer[at..<(at + part.count)]).initialize(from: part)
                        at += part.count
                    }
                    copy(r.key)
                    for part in r.parts { copy(part) }
                }
                count = size
            }
        }

        init() {}

        /// Every record as (key, node octets), slices of this chunk.
        var records: [(key: ArraySlice<UInt8>, parts: [ArraySlice<UInt8>])] {
            (0..<count).map { k in
                let r = keyRange(k)
                return (bytes[r], [bytes[r.upperBound..<recordEnd(k)]])
            }
        }
    }

    let apex: DNSName
    private var chunks: [Chunk] = []
    /// The last key of each chunk: the first step of a search runs over these.
    private var lasts: [[UInt8]] = []
    private(set) var count = 0

    init(apex: DNSName) { self.apex = apex }

    /// The octets the names and nodes take (the chunks and the search's last keys).
    var storedOctets: Int { chunks.reduce(0) { $0 + $1.bytes.count } + lasts.reduce(0) { $0 + $1.count } }

    // MARK: - Loading in order

    /// Adds chunks of names that all sort after every name already in the tree (a from-scratch build).
    mutating func append(_ chunk: Chunk) {
        guard chunk.count > 0 else { return }
        lasts.append(Array(chunk.bytes[chunk.keyRange(chunk.count - 1)]))
        chunks.append(chunk)
        count += chunk.count
    }

    // MARK: - Finding names

    var endPosition: Position { Position(chunk: chunks.count, index: 0) }

    /// The position of the first name not before `key` (``endPosition`` when every name is before it).
    func lowerBound(_ key: [UInt8]) -> Position {
        key.withUnsafeBytes { k in
            var lo = 0
            var n = lasts.count
            while n > 0 {
                let half = n / 2
                if lasts[lo + half].withUnsafeBytes({ NameKey.compare($0, k) }) < 0 {
                    lo += half + 1
                    n -= half + 1
                } else {
                    n = half
                }
            }
            guard lo < chunks.count else { return endPosition }
            return Position(chunk: lo, index: chunks[lo].lowerBound(k))
        }
    }

    /// Whether the name at `p` has `key`.
    func holds(_ key: [UInt8], at p: Position) -> Bool {
        guard p.chunk < chunks.count else { return false }
        let c = chunks[p.chunk]
        let r = c.keyRange(p.index)
        return c.bytes.withUnsafeBytes { all in
            key.withUnsafeBytes { NameKey.compare(UnsafeRawBufferPointer(rebasing: all[r]), $0) == 0 }
        }
    }

    /// The position of `name`, or nil when the tree does not hold it (or it is not at or below the apex).
    func find(_ name: DNSName) -> Position? {
        guard name.isSubdomain(of: apex) else { return nil }
        let key = NameKey.make(name, apex: apex)
        let p = lowerBound(key)
        return holds(key, at: p) ? p : nil
    }

    subscript(name: DNSName) -> SignedZone.Node? { find(name).map(node) }

    func node(at p: Position) -> SignedZone.Node { chunks[p.chunk].node(p.index) }

    func name(at p: Position) -> DNSName {
        let c = chunks[p.chunk]
        return NameKey.name(c.bytes, c.keyRange(p.index), apex: apex)
    }

    /// The position after `p`, the first after the last (the NSEC chain is a ring).
    func next(after p: Position) -> Position {
        if p.index + 1 < chunks[p.chunk].count { return Position(chunk: p.chunk, index: p.index + 1) }
        return Position(chunk: p.chunk + 1 < chunks.count ? p.chunk + 1 : 0, index: 0)
    }

    /// The position before `p` (which may be ``endPosition``), the last before the first.
    func previous(before p: Position) -> Position {
        if p.chunk < chunks.count && p.index > 0 { return Position(chunk: p.chunk, index: p.index - 1) }
        let c = p.chunk > 0 && p.chunk <= chunks.count ? p.chunk - 1 : chunks.count - 1
        return Position(chunk: c, index: chunks[c].count - 1)
    }

    /// The name after `name` in the chain (`name` need not be in the tree), nil when the tree is empty.
    func nextName(after name: DNSName) -> DNSName? {
        guard count > 0 else { return nil }
        let key = NameKey.make(name, apex: apex)
        let p = lowerBound(key)
        if holds(key, at: p) { return self.name(at: next(after: p)) }
        return self.name(at: p.chunk < chunks.count ? p : Position(chunk: 0, index: 0))
    }

    /// The name before `name` in the chain (`name` need not be in the tree), nil when the tree is empty.
    func previousName(before name: DNSName) -> DNSName? {
        guard count > 0 else { return nil }
        return self.name(at: previous(before: lowerBound(NameKey.make(name, apex: apex))))
    }

    /// Calls `body` with every position in order.
    func forEach(_ body: (Position) throws -> Void) rethrows {
        for c in chunks.indices {
            for k in 0..<chunks[c].count { try body(Position(chunk: c, index: k)) }
        }
    }

    // MARK: - Changing names

    /// Sets the node of `name` (at or below the apex): replaces it, adds the name in its place in the order, or
    /// with nil removes it. Copies the one chunk it changes.
    mutating func set(_ node: SignedZone.Node?, for name: DNSName) { update([(name, node)]) }

    /// Sets the nodes of many names at once (each name once): each chunk they touch is copied once.
    mutating func update(_ updates: [(name: DNSName, node: SignedZone.Node?)]) {
        // From the last key to the first: changing (or splitting) a chunk leaves the chunks before it in place.
        let keyed = updates.map { (key: NameKey.make($0.name, apex: apex), node: $0.node) }.sorted { x, y in
            x.key.withUnsafeBytes { a in y.key.withUnsafeBytes { b in NameKey.compare(a, b) > 0 } }
        }
        var i = 0
        while i < keyed.count {
            if chunks.isEmpty {
                if let node = keyed[i].node { append(Chunk([(keyed[i].key[...], [node.octets])])) }
                i += 1
                continue
            }
            let c = min(lowerBound(keyed[i].key).chunk, chunks.count - 1)
            var records = chunks[c].records
            repeat {
                let key = keyed[i].key
                let k = key.withUnsafeBytes { kb in
                    records.partitioningIndex { r in r.key.withUnsafeBytes { NameKey.compare($0, kb) >= 0 } }
                }
                let found = k < records.count && records[k].key.elementsEqual(key)
                if let node = keyed[i].node {
                    if found {
                        records[k].parts = [node.octets]
                    } else {
                        records.insert((key[...], [node.octets]), at: k)
                        count += 1
                    }
                } else if found {
                    records.remove(at: k)
                    count -= 1
                }
                i += 1
            } while i < keyed.count
                && (c == 0
                    || keyed[i].key.withUnsafeBytes { k in lasts[c - 1].withUnsafeBytes { NameKey.compare(k, $0) > 0 } })
            replace(chunk: c, with: records)
        }
    }

    private mutating func replace(chunk c: Int, with records: [(key: ArraySlice<UInt8>, parts: [ArraySlice<UInt8>])]) {
        if records.isEmpty {
            chunks.remove(at: c)
            lasts.remove(at: c)
            return
        }
        if records.count > 2 * Self.chunkSize {
            // Split into chunks of about `chunkSize` (a batch may have added many names to one chunk).
            let pieces = records.count / Self.chunkSize
            var parts: [Chunk] = []
            var ends: [[UInt8]] = []
            for i in 0..<pieces {
                let range = (i * records.count / pieces)..<((i + 1) * records.count / pieces)
                parts.append(Chunk(Array(records[range])))
                ends.append(Array(records[range.upperBound - 1].key))
            }
            chunks.replaceSubrange(c...c, with: parts)
            lasts.replaceSubrange(c...c, with: ends)
            return
        }
        chunks[c] = Chunk(records)
        lasts[c] = Array(records[records.count - 1].key)
    }
}

extension Array {
    /// The first index whose element is in the second part (`belongs` false then true along the array).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0
        var n = count
        while n > 0 {
            let half = n / 2
            if belongs(self[lo + half]) {
                n = half
            } else {
                lo += half + 1
                n -= half + 1
            }
        }
        return lo
    }
}
