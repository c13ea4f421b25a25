/// Reads master-file text (RFC 1035 §5) into records.
///
/// Supports `$ORIGIN`, `$TTL` (RFC 2308), relative names, `@`, blank owners, TTL and class in either order,
/// `( … )` continuation, comments, quoted strings, BIND TTL units (`1h30m`) and the RFC 3597 `\#` form.
/// `$INCLUDE` is refused: a zone is read from one text.
///
/// ```swift
/// let records = try ZoneFileReader(origin: DNSName("iotregistry.test.")).read(text)
/// ```
public struct ZoneFileReader: Sendable {
    /// The origin for relative names until a `$ORIGIN` line changes it.
    public var origin: DNSName?
    /// The TTL for records without one until a `$TTL` line changes it.
    public var defaultTTL: UInt32?
    /// The most records read before failing (bounds memory on untrusted input).
    public var maxRecords: Int

    public init(origin: DNSName? = nil, defaultTTL: UInt32? = nil, maxRecords: Int = 50_000_000) {
        self.origin = origin
        self.defaultTTL = defaultTTL
        self.maxRecords = maxRecords
    }

    /// Parses `text`.
    ///
    /// - Throws: ``DNSWireError`` with code `badZoneFile` and the line number in ``DNSWireError/reason``.
    public func read(_ text: String) throws -> [ResourceRecord] {
        var lexer = ZoneLexer(text)
        var origin = self.origin
        var defaultTTL = self.defaultTTL
        var lastOwner: DNSName?
        var lastTTL: UInt32?
        var records: [ResourceRecord] = []
        while let line = try lexer.nextLine() {
            do {
                var t = line.tokens
                if !line.startsWithBlank, t[0].text.hasPrefix("$"), !t[0].quoted {
                    switch t[0].text.uppercased() {
                    case "$ORIGIN":
                        guard t.count >= 2 else { throw DNSWireError(.badZoneFile, "$ORIGIN needs a name") }
                        origin = try DNSName(t[1].text, origin: origin)
                    case "$TTL":
                        guard t.count >= 2, let v = Self.parseTTL(t[1].text) else {
                            throw DNSWireError(.badZoneFile, "$TTL needs a TTL")
                        }
                        defaultTTL = v
                    default:
                        throw DNSWireError(.badZoneFile, "directive \(t[0].text) is not supported")
                    }
                    continue
                }
                let owner: DNSName
                if line.startsWithBlank {
                    guard let lastOwner else { throw DNSWireError(.badZoneFile, "the first record has no owner") }
                    owner = lastOwner
                } else {
                    owner = try DNSName(t.removeFirst().text, origin: origin)
                }
                var ttl: UInt32?
                var rclass: RecordClass?
                var type: RecordType?
                while type == nil, !t.isEmpty {
                    let f = t.removeFirst().text
                    if ttl == nil, let first = f.utf8.first, first >= 0x30 && first <= 0x39, let v = Self.parseTTL(f) {
                        ttl = v
                    } else if rclass == nil, let c = RecordClass(mnemonic: f) {
                        rclass = c
                    } else if let ty = RecordType(mnemonic: f) {
                        type = ty
                    } else {
                        throw DNSWireError(.unknownMnemonic, "'\(f)' is not a TTL, class or known type")
                    }
                }
                guard let type else { throw DNSWireError(.badZoneFile, "record has no type") }
                var fields = PresentationFields(t, origin: origin)
                let rdata = try RData(type: type, fields: &fields)
                guard let recordTTL = ttl ?? defaultTTL ?? lastTTL else {
                    throw DNSWireError(.badZoneFile, "record has no TTL and no $TTL is set")
                }
                guard records.count < maxRecords else {
                    throw DNSWireError(.limitExceeded, "more than \(maxRecords) records")
                }
                records.append(ResourceRecord(name: owner, recordClass: rclass ?? .in, ttl: recordTTL, rdata: rdata))
                lastOwner = owner
                lastTTL = recordTTL
            } catch let e as DNSWireError {
                throw DNSWireError(e.code == .limitExceeded ? e.code : .badZoneFile, "line \(line.number): \(e.reason)")
            }
        }
        return records
    }

    /// Parses a TTL: seconds, or BIND units (`1w2d3h4m5s`, case-insensitive). Returns nil when malformed.
    public static func parseTTL(_ s: String) -> UInt32? {
        if let v = UInt32(s) { return v }
        var total: UInt64 = 0
        var number: UInt64 = 0
        var digits = false
        for c in s.lowercased().utf8 {
            if c >= 0x30 && c <= 0x39 {
                number = number * 10 + UInt64(c - 0x30)
                digits = true
                guard number <= UInt64(UInt32.max) else { return nil }
                continue
            }
            let unit: UInt64
            switch c {
            case UInt8(ascii: "s"): unit = 1
            case UInt8(ascii: "m"): unit = 60
            case UInt8(ascii: "h"): unit = 3600
            case UInt8(ascii: "d"): unit = 86400
            case UInt8(ascii: "w"): unit = 604800
            default: return nil
            }
            guard digits else { return nil }
            total += number * unit
            number = 0
            digits = false
            guard total <= UInt64(UInt32.max) else { return nil }
        }
        total += number
        return total <= UInt64(UInt32.max) ? UInt32(total) : nil
    }
}
