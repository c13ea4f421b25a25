import DNSWire
import Foundation

/// A name below the apex as octets whose plain byte order (`memcmp`) is the DNSSEC canonical order of RFC 4034
/// §6.1: the labels from the apex outwards, each lowercased and followed by a 0 octet; a 0 or 1 octet inside a
/// label is written as 1 1 or 1 2, so that the 0 after a label sorts it before any longer label it begins.
///
/// Why: the zone keeps its names in canonical order only (no hash table beside it), and finds every name, present
/// or absent, by binary search. Compared label by label from the right, a search step cost about 60 ns; as bytes it
/// is one `memcmp`. The apex is left out (every name shares it), which also saves its octets in every name kept.
enum NameKey {
    /// The key of `name`, which must be at or below `apex` (the apex's key is empty).
    static func make(_ name: DNSName, apex: DNSName) -> [UInt8] {
        name.wire.withUnsafeBufferPointer { wire in
            let relative = wire.count - apex.wire.count
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { starts in
                var labels = 0
                var i = 0
                while i < relative && labels < 128 {
                    starts[labels] = i
                    labels += 1
                    i += 1 + Int(wire[i])
                }
                var key: [UInt8] = []
                key.reserveCapacity(relative + 2)
                for l in stride(from: labels - 1, through: 0, by: -1) {
                    let s = starts[l]
                    for k in (s + 1)..<(s + 1 + Int(wire[s])) {
                        let c = wire[k]
                        let b = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
                        if b <= 1 {
                            key.append(1)
                            key.append(b + 1)
                        } else {
                            key.append(b)
                        }
                    }
                    key.append(0)
                }
                return key
            }
        }
    }

    /// The name whose key is `bytes[range]`, with the apex after it.
    static func name(_ bytes: [UInt8], _ range: Range<Int>, apex: DNSName) -> DNSName {
        bytes.withUnsafeBufferPointer { key in
            // The labels' ends in the key, from the apex outwards; the wire form lists them the other way round.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 129) { ends in
                var labels = 0
                var length = 0
                var i = range.lowerBound
                while i < range.upperBound && labels < 128 {
                    if key[i] == 0 {
                        ends[labels] = i
                        labels += 1
                    } else {
                        length += 1
                        if key[i] == 1 { i += 1 }
                    }
                    i += 1
                }
                let size = length + labels + apex.wire.count
                let wire = [UInt8](unsafeUninitializedCapacity: size) { out, count in
                    var at = 0
                    for l in stride(from: labels - 1, through: 0, by: -1) {
                        let start = l == 0 ? range.lowerBound : ends[l - 1] + 1
                        let lengthAt = at
                        at += 1
                        var k = start
                        while k < ends[l] {
                            if key[k] == 1 {
                                out[at] = key[k + 1] - 1
                                k += 2
                            } else {
                                out[at] = key[k]
                                k += 1
                            }
                            at += 1
                        }
                        out[lengthAt] = UInt8(at - lengthAt - 1)
                    }
                    for b in apex.wire {
                        out[at] = b
                        at += 1
                    }
                    count = at
                }
                // Cannot fail for a key made by `make` from a valid name.
                return (try? DNSName(wire: wire)) ?? apex
            }
        }
    }

    /// -1, 0 or 1 as `a` sorts before, equal to or after `b`.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
