import DNSWire

// RFC 1035 §4.1: header (12) | question | answer | authority | additional (OPT last, RFC 6891 §6.1.1).
// Compression (RFC 1035 §4.1.4) here is deliberately narrow: an owner name is compressed only against the
// question name written at offset 12. Every owner name in an authoritative answer is the question name, or shares
// a suffix with it (the apex at least), so this catches nearly all of what a full table would, with no allocation.
// RDATA names are written uncompressed, which RFC 3597 §4 allows for every type and requires for the new ones.

/// Encodes responses fast: the hot path of the server, equivalent on the wire to ``Message/encode(maxSize:)``
/// except for the narrower compression.
enum ResponseEncoder {
    /// Encodes `m` in at most `maxSize` octets: answer or authority records that do not fit are cut and TC is set,
    /// additional records that do not fit are dropped without TC (RFC 2181 §9); the OPT record is always kept.
    static func encode(_ m: Message, maxSize: Int) -> [UInt8] {
        var w = WireWriter(compression: false, capacity: min(maxSize, 1500))
        let optSize = m.edns.map { 11 + $0.options.reduce(0) { $0 + 4 + $1.data.count } } ?? 0
        let budget = max(maxSize, 12) - optSize
        w.writeUInt16(m.header.id)
        w.writeUInt16(0)
        for _ in 0..<4 { w.writeUInt16(0) }
        let question = m.questions.first?.name
        for q in m.questions {
            w.writeBytes(q.name.wire)
            w.writeUInt16(q.type.rawValue)
            w.writeUInt16(q.recordClass.rawValue)
        }
        var counts = [m.questions.count, 0, 0, 0]
        var tc = m.header.tc
        var full = false
        for (s, records) in [m.answers, m.authority, m.additional].enumerated() where !full {
            for rr in records {
                let mark = w.bytes.count
                writeOwner(rr.name, question: question, into: &w)
                w.writeUInt16(rr.type.rawValue)
                w.writeUInt16(rr.recordClass.rawValue)
                w.writeUInt32(rr.ttl)
                let lengthAt = w.bytes.count
                w.writeUInt16(0)
                rr.rdata.encode(into: &w)
                w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
                if w.bytes.count > budget {
                    w.rollback(to: mark)
                    if s < 2 { tc = true }
                    full = true
                    break
                }
                counts[s + 1] += 1
            }
        }
        var rcodeLow = m.header.rcodeLow
        if let edns = m.edns {
            w.writeUInt8(0)
            w.writeUInt16(RecordType.opt.rawValue)
            w.writeUInt16(edns.udpPayloadSize)
            let ttl =
                UInt32(edns.extendedRCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0)
                | UInt32(edns.flags & 0x7FFF)
            w.writeUInt32(ttl)
            let lengthAt = w.bytes.count
            w.writeUInt16(0)
            for o in edns.options {
                w.writeUInt16(o.code)
                w.writeUInt16(UInt16(truncatingIfNeeded: o.data.count))
                w.writeBytes(o.data)
            }
            w.patchUInt16(at: lengthAt, UInt16(truncatingIfNeeded: w.bytes.count - lengthAt - 2))
            counts[3] += 1
        } else {
            rcodeLow &= 0x0F
        }
        let h = m.header
        var flags: UInt16 = (h.qr ? 0x8000 : 0) | UInt16(h.opcode.rawValue & 0x0F) << 11
        flags |= (h.aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0)
        flags |= (h.z ? 0x0040 : 0) | (h.ad ? 0x0020 : 0) | (h.cd ? 0x0010 : 0) | UInt16(rcodeLow & 0x0F)
        w.patchUInt16(at: 2, flags)
        for (i, c) in counts.enumerated() { w.patchUInt16(at: 4 + 2 * i, UInt16(truncatingIfNeeded: c)) }
        return w.bytes
    }

    /// Writes `name`, ending in a pointer into the question name when they share a suffix of one label or more.
    static func writeOwner(_ name: DNSName, question: DNSName?, into w: inout WireWriter) {
        guard let question else {
            w.writeBytes(name.wire)
            return
        }
        name.wire.withUnsafeBufferPointer { n in
            question.wire.withUnsafeBufferPointer { q in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { ns in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { qs in
                        let nc = labelStarts(n, into: ns)
                        let qc = labelStarts(q, into: qs)
                        // Walk the labels from the right while they match (ASCII case-insensitively).
                        var common = 0
                        while common < nc, common < qc {
                            let a = ns[nc - 1 - common]
                            let b = qs[qc - 1 - common]
                            guard n[a] == q[b], equalLabel(n, a, q, b) else { break }
                            common += 1
                        }
                        guard common > 0 else {
                            w.writeBytes(n)
                            return
                        }
                        let cut = ns[nc - common]
                        let target = 12 + qs[qc - common]
                        w.writeBytes(UnsafeBufferPointer(rebasing: n[0..<cut]))
                        w.writeUInt16(0xC000 | UInt16(truncatingIfNeeded: target))
                    }
                }
            }
        }
    }

    /// The offsets of the (non-root) labels of a valid name; at most 127.
    static func labelStarts(_ wire: UnsafeBufferPointer<UInt8>, into starts: UnsafeMutableBufferPointer<Int>) -> Int {
        var i = 0
        var count = 0
        while i < wire.count, wire[i] != 0, count < starts.count {
            starts[count] = i
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    static func equalLabel(_ a: UnsafeBufferPointer<UInt8>, _ i: Int, _ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> Bool
    {
        let length = Int(a[i])
        guard i + length < a.count, j + length < b.count else { return false }
        for k in 1...max(1, length) where k <= length {
            var x = a[i + k]
            var y = b[j + k]
            if x >= 65 && x <= 90 { x |= 0x20 }
            if y >= 65 && y <= 90 { y |= 0x20 }
            if x != y { return false }
        }
        return true
    }
}
