// Wire form (RFC 1035 §3.1): a sequence of labels, each a length octet (1...63) followed by that many octets,
// ended by the zero-length root label; at most 255 octets in all.
//
//   +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//   | 7 | a | b | c | d | e | f | g | 4 | t | e | s | t | 0 |
//   +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+

/// A fully qualified domain name, stored in uncompressed wire form.
///
/// Labels are octet strings (not text): any octet may appear, written `\DDD` or `\X` in presentation format.
/// Equality and hashing ignore ASCII case (RFC 4343); ``Comparable`` is the DNSSEC canonical order of RFC 4034 §6.1,
/// which is also the NSEC chain order.
public struct DNSName: Sendable, CustomStringConvertible {
    /// The longest name in wire form, RFC 1035 §2.3.4.
    public static let maxWireLength = 255
    /// The longest label, RFC 1035 §2.3.4.
    public static let maxLabelLength = 63
    /// The root name `.`.
    public static let root = DNSName(uncheckedWire: [0])

    /// The uncompressed wire form, including the terminating root label.
    public let wire: [UInt8]

    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// Creates a name from wire form (uncompressed), checking label and name lengths.
    public init(wire: [UInt8]) throws {
        var i = 0
        while true {
            guard i < wire.count else { throw DNSWireError.truncated("a domain name") }
            let n = Int(wire[i])
            guard n <= Self.maxLabelLength else {
                throw DNSWireError(.badLabel, "label of \(n) octets; the limit is 63")
            }
            if n == 0 { break }
            i += 1 + n
        }
        guard i == wire.count - 1 else { throw DNSWireError(.trailingData, "octets after the root label of a name") }
        guard wire.count <= Self.maxWireLength else {
            throw DNSWireError(.nameTooLong, "a name is \(wire.count) octets; the limit is 255")
        }
        self.wire = wire
    }

    /// Creates a name from labels (most specific first), without the root label.
    public init<S: Sequence>(labels: S) throws where S.Element: Collection, S.Element.Element == UInt8 {
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty, label.count <= Self.maxLabelLength else {
                throw DNSWireError(.badLabel, "label of \(label.count) octets; labels are 1...63 octets")
            }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= Self.maxWireLength else {
            throw DNSWireError(.nameTooLong, "a name is \(wire.count) octets; the limit is 255")
        }
        self.wire = wire
    }

    /// Parses a name in presentation format (RFC 1035 §5.1), with `\DDD` and `\X` escapes.
    ///
    /// A name without a trailing dot is relative and is completed with `origin`; `@` is the origin itself.
    /// - Throws: ``DNSWireError`` with code `badPresentation`, `badLabel` or `nameTooLong`.
    public init(_ text: String, origin: DNSName? = nil) throws {
        if text == "@" {
            guard let origin else { throw DNSWireError.presentation("'@' needs an origin ($ORIGIN)") }
            self = origin
            return
        }
        if text == "." {
            self = .root
            return
        }
        let bytes = Array(text.utf8)
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var absolute = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw DNSWireError.presentation("name '\(text)' ends with '\\'") }
                let d = bytes[i + 1]
                if d >= 0x30 && d <= 0x39 {
                    var v = 0
                    for k in 1...3 {
                        guard i + k < bytes.count else {
                            throw DNSWireError.presentation("'\\DDD' escape in '\(text)' needs three digits")
                        }
                        let e = bytes[i + k]
                        guard e >= 0x30 && e <= 0x39 else {
                            throw DNSWireError.presentation("'\\DDD' escape in '\(text)' needs three digits")
                        }
                        v = v * 10 + Int(e - 0x30)
                    }
                    guard v <= 255 else { throw DNSWireError.presentation("'\\DDD' escape above 255 in '\(text)'") }
                    current.append(UInt8(v))
                    i += 4
                } else {
                    current.append(d)
                    i += 2
                }
                continue
            }
            if c == UInt8(ascii: ".") {
                guard !current.isEmpty else { throw DNSWireError(.badLabel, "empty label in name '\(text)'") }
                labels.append(current)
                current = []
                if i == bytes.count - 1 { absolute = true }
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        if !current.isEmpty { labels.append(current) }
        guard !labels.isEmpty else { throw DNSWireError.presentation("empty name") }
        var name = try DNSName(labels: labels)
        if !absolute {
            guard let origin else {
                throw DNSWireError.presentation("relative name '\(text)' needs an origin; end it with '.'")
            }
            name = try name.appending(origin)
        }
        self = name
    }

    // MARK: - Structure

    /// The labels, most specific first, without the root label.
    public var labels: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let n = Int(wire[i])
            out.append(wire[(i + 1)...(i + n)])
            i += 1 + n
        }
        return out
    }

    /// The number of labels, not counting the root (`www.example.` has 2).
    public var labelCount: Int {
        var count = 0
        var i = 0
        while wire[i] != 0 {
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    /// Whether this is the root name.
    public var isRoot: Bool { wire.count == 1 }

    /// Whether the first label is `*` (RFC 4592).
    public var isWildcard: Bool { wire.count >= 3 && wire[0] == 1 && wire[1] == UInt8(ascii: "*") }

    /// The name with the first label removed, or nil for the root.
    public var parent: DNSName? {
        guard !isRoot else { return nil }
        return DNSName(uncheckedWire: Array(wire[(1 + Int(wire[0]))...]))
    }

    /// The name made of the last `count` labels (RFC 4035 §5.3.2 uses this to rebuild a wildcard's closest encloser).
    public func suffix(labels count: Int) -> DNSName {
        var name = self
        var n = labelCount
        while n > max(count, 0), let p = name.parent {
            name = p
            n -= 1
        }
        return name
    }

    /// This name with `label` prepended (`prepending("*")` gives the wildcard below this name).
    public func prepending(label: [UInt8]) throws -> DNSName {
        guard !label.isEmpty, label.count <= Self.maxLabelLength else {
            throw DNSWireError(.badLabel, "label of \(label.count) octets; labels are 1...63 octets")
        }
        guard wire.count + 1 + label.count <= Self.maxWireLength else {
            throw DNSWireError(.nameTooLong, "prepending a label makes the name longer than 255 octets")
        }
        return DNSName(uncheckedWire: [UInt8(label.count)] + label + wire)
    }

    /// This (relative-looking) name followed by `origin`.
    public func appending(_ origin: DNSName) throws -> DNSName {
        let combined = Array(wire.dropLast()) + origin.wire
        guard combined.count <= Self.maxWireLength else {
            throw DNSWireError(.nameTooLong, "name plus origin is longer than 255 octets")
        }
        return DNSName(uncheckedWire: combined)
    }

    /// Whether this name equals `other` or lies below it (case-insensitive).
    public func isSubdomain(of other: DNSName) -> Bool {
        guard wire.count >= other.wire.count else { return false }
        let start = wire.count - other.wire.count
        // The suffix must start at a label boundary.
        var i = 0
        while i < start { i += 1 + Int(wire[i]) }
        guard i == start else { return false }
        for k in 0..<other.wire.count where Self.lower(wire[start + k]) != Self.lower(other.wire[k]) { return false }
        return true
    }

    /// The name with ASCII letters lowercased: the canonical form of RFC 4034 §6.2.
    public func lowercased() -> DNSName {
        if !wire.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return self }
        return DNSName(uncheckedWire: wire.map(Self.lower))
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    // MARK: - Presentation

    /// The name in presentation format, absolute (with trailing dot), non-printable octets as `\DDD`.
    public var description: String {
        if isRoot { return "." }
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + 4)
        var i = 0
        while wire[i] != 0 {
            let n = Int(wire[i])
            for b in wire[(i + 1)...(i + n)] {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: ";"), UInt8(ascii: "\\"), UInt8(ascii: "("), UInt8(ascii: ")"),
                    UInt8(ascii: "\""), UInt8(ascii: "$"), UInt8(ascii: "@"):
                    out.append(UInt8(ascii: "\\"))
                    out.append(b)
                case 0x21...0x7E:
                    out.append(b)
                default:
                    out.append(UInt8(ascii: "\\"))
                    out.append(contentsOf: Array(String.threeDigits(b).utf8))
                }
            }
            out.append(UInt8(ascii: "."))
            i += 1 + n
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// `b` as three decimal digits, for `\DDD` escapes.
    static func threeDigits(_ b: UInt8) -> String {
        let s = String(b)
        return String(repeating: "0", count: 3 - s.count) + s
    }
}

// MARK: - Equality (case-insensitive, RFC 4343)

extension DNSName: Hashable {
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        return lhs.wire.withUnsafeBufferPointer { a in
            rhs.wire.withUnsafeBufferPointer { b in
                for i in 0..<a.count where a[i] != b[i] && lower(a[i]) != lower(b[i]) { return false }
                return true
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        var acc: UInt64 = 0
        var shift: UInt64 = 0
        for b in wire {
            acc |= UInt64(Self.lower(b)) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(acc)
                acc = 0
                shift = 0
            }
        }
        hasher.combine(acc)
        hasher.combine(wire.count)
    }
}

// MARK: - Canonical order (RFC 4034 §6.1)

extension DNSName: Comparable {
    /// Canonical DNS name order: compare labels right to left, each as a lowercased octet string.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool { canonicalCompare(lhs, rhs) < 0 }

    /// -1, 0 or 1 as `lhs` sorts before, equal to, or after `rhs` in canonical order.
    public static func canonicalCompare(_ lhs: DNSName, _ rhs: DNSName) -> Int {
        lhs.wire.withUnsafeBufferPointer { a in
            rhs.wire.withUnsafeBufferPointer { b in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { sa in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { sb in
                        compare(a, sa, starts(a, into: sa), b, sb, starts(b, into: sb))
                    }
                }
            }
        }
    }

    /// The index of the first name in `sorted` (canonical order) not before `name`: a binary search that finds
    /// `name`'s label offsets once, not at each of its ~log2(n) comparisons (the hot path of every NXDOMAIN).
    public static func canonicalLowerBound(of name: DNSName, in sorted: [DNSName]) -> Int {
        name.wire.withUnsafeBufferPointer { b in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { sb in
                let nb = starts(b, into: sb)
                return sorted.withUnsafeBufferPointer { names in
                    var lo = 0
                    var count = names.count
                    while count > 0 {
                        let half = count / 2
                        if compare(names[lo + half], b, sb, nb) < 0 {
                            lo += half + 1
                            count -= half + 1
                        } else {
                            count = half
                        }
                    }
                    return lo
                }
            }
        }
    }

    /// `lhs` against a name whose wire `b` and `nb` label offsets `sb` are already known.
    private static func compare(
        _ lhs: DNSName, _ b: UnsafeBufferPointer<UInt8>, _ sb: UnsafeMutableBufferPointer<Int>, _ nb: Int
    ) -> Int {
        lhs.wire.withUnsafeBufferPointer { a in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { sa in
                let na = starts(a, into: sa)
                return compare(a, sa, na, b, sb, nb)
            }
        }
    }

    private static func compare(
        _ a: UnsafeBufferPointer<UInt8>, _ sa: UnsafeMutableBufferPointer<Int>, _ na: Int,
        _ b: UnsafeBufferPointer<UInt8>, _ sb: UnsafeMutableBufferPointer<Int>, _ nb: Int
    ) -> Int {
        var i = na - 1
        var j = nb - 1
        while i >= 0 && j >= 0 {
            let la = Int(a[sa[i]])
            let lb = Int(b[sb[j]])
            let m = min(la, lb)
            for k in 1...max(m, 1) where k <= m {
                let x = lower(a[sa[i] + k])
                let y = lower(b[sb[j] + k])
                if x != y { return x < y ? -1 : 1 }
            }
            if la != lb { return la < lb ? -1 : 1 }
            i -= 1
            j -= 1
        }
        if i == j { return 0 }
        return i < j ? -1 : 1
    }

    private static func starts(_ w: UnsafeBufferPointer<UInt8>, into s: UnsafeMutableBufferPointer<Int>) -> Int {
        var n = 0
        var i = 0
        while i < w.count && w[i] != 0 && n < s.count {
            s[n] = i
            n += 1
            i += 1 + Int(w[i])
        }
        return n
    }
}
