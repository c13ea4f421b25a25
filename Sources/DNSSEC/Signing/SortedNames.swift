import DNSWire

/// The zone's owner names in canonical order (the NSEC chain), in chunks of a few hundred.
///
/// Why chunks: the served snapshot and the signer's working copy share the list (copy-on-write). As one array,
/// adding or removing a name copied all of it, retaining every name, at each change: at 100,000 devices that was
/// most of a one-device change, and more once the names no longer sat next to each other in memory. In chunks, a
/// change copies the small array of chunk references and the one chunk it touches.
struct SortedNames: Sendable, Sequence {
    static let chunkSize = 256

    private var chunks: [[DNSName]] = []
    /// `starts[c]` is the position of `chunks[c][0]` in the whole list.
    private var starts: [Int] = []
    /// `lasts[c]` is the last name of `chunks[c]`: a flat array to search before the chunk itself.
    private var lasts: [DNSName] = []
    private(set) var count = 0

    /// - Parameter sorted: names already in canonical order, without duplicates.
    init(_ sorted: [DNSName]) {
        var at = 0
        while at < sorted.count {
            let end = Swift.min(sorted.count, at + Self.chunkSize)
            chunks.append(Array(sorted[at..<end]))
            starts.append(at)
            lasts.append(sorted[end - 1])
            at = end
        }
        count = sorted.count
    }

    subscript(position: Int) -> DNSName {
        let c = chunk(containing: position)
        return chunks[c][position - starts[c]]
    }

    /// The position of the first name not before `name`; `count` when every name is before it.
    func lowerBound(_ name: DNSName) -> Int {
        let c = DNSName.canonicalLowerBound(of: name, in: lasts)
        return c < chunks.count ? starts[c] + DNSName.canonicalLowerBound(of: name, in: chunks[c]) : count
    }

    /// Inserts `name` at `position` (from ``lowerBound(_:)``, so the order holds).
    mutating func insert(_ name: DNSName, at position: Int) {
        guard !chunks.isEmpty else {
            chunks = [[name]]
            starts = [0]
            lasts = [name]
            count = 1
            return
        }
        // At a chunk boundary the name goes at the end of the chunk before it.
        let c = position == count ? chunks.count - 1 : chunk(containing: Swift.max(0, position - 1))
        chunks[c].insert(name, at: position - starts[c])
        count += 1
        if chunks[c].count > 2 * Self.chunkSize {
            let tail = Array(chunks[c][Self.chunkSize...])
            chunks[c].removeSubrange(Self.chunkSize...)
            chunks.insert(tail, at: c + 1)
            starts.insert(0, at: c + 1)
            lasts.insert(tail[tail.count - 1], at: c + 1)
        }
        lasts[c] = chunks[c][chunks[c].count - 1]
        renumber(from: c + 1)
    }

    /// Removes the name at `position`.
    mutating func remove(at position: Int) {
        let c = chunk(containing: position)
        chunks[c].remove(at: position - starts[c])
        count -= 1
        if chunks[c].isEmpty {
            chunks.remove(at: c)
            starts.remove(at: c)
            lasts.remove(at: c)
            renumber(from: c)
        } else {
            lasts[c] = chunks[c][chunks[c].count - 1]
            renumber(from: c + 1)
        }
    }

    func makeIterator() -> FlattenSequence<[[DNSName]]>.Iterator { chunks.joined().makeIterator() }

    /// The chunk holding `position` (0 ..< count).
    private func chunk(containing position: Int) -> Int {
        var lo = 0
        var hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= position { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private mutating func renumber(from c: Int) {
        guard c < chunks.count else { return }
        var at = c == 0 ? 0 : starts[c - 1] + chunks[c - 1].count
        for k in c..<chunks.count {
            starts[k] = at
            at += chunks[k].count
        }
    }
}
