/// A resource record TYPE (RFC 1035 §3.2.2, IANA "Resource Record (RR) TYPEs"), an open set.
///
/// Unknown values survive decoding and print as `TYPEnnn` (RFC 3597 §5).
public struct RecordType: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = Self(rawValue: 1)
    public static let ns = Self(rawValue: 2)
    public static let cname = Self(rawValue: 5)
    public static let soa = Self(rawValue: 6)
    public static let ptr = Self(rawValue: 12)
    public static let mx = Self(rawValue: 15)
    public static let txt = Self(rawValue: 16)
    public static let aaaa = Self(rawValue: 28)
    public static let srv = Self(rawValue: 33)
    public static let cert = Self(rawValue: 37)
    public static let dname = Self(rawValue: 39)
    public static let opt = Self(rawValue: 41)
    public static let ds = Self(rawValue: 43)
    public static let rrsig = Self(rawValue: 46)
    public static let nsec = Self(rawValue: 47)
    public static let dnskey = Self(rawValue: 48)
    public static let nsec3 = Self(rawValue: 50)
    public static let nsec3param = Self(rawValue: 51)
    public static let tlsa = Self(rawValue: 52)
    public static let cds = Self(rawValue: 59)
    public static let cdnskey = Self(rawValue: 60)
    public static let svcb = Self(rawValue: 64)
    public static let https = Self(rawValue: 65)
    public static let zonemd = Self(rawValue: 63)
    public static let caa = Self(rawValue: 257)
    public static let ixfr = Self(rawValue: 251)
    public static let axfr = Self(rawValue: 252)
    public static let any = Self(rawValue: 255)

    static let mnemonics: [(String, RecordType)] = [
        ("A", .a), ("NS", .ns), ("CNAME", .cname), ("SOA", .soa), ("PTR", .ptr), ("MX", .mx), ("TXT", .txt),
        ("AAAA", .aaaa), ("SRV", .srv), ("CERT", .cert), ("DNAME", .dname), ("OPT", .opt), ("DS", .ds),
        ("RRSIG", .rrsig), ("NSEC", .nsec), ("DNSKEY", .dnskey), ("NSEC3", .nsec3), ("NSEC3PARAM", .nsec3param),
        ("TLSA", .tlsa), ("CDS", .cds), ("CDNSKEY", .cdnskey), ("ZONEMD", .zonemd), ("SVCB", .svcb),
        ("HTTPS", .https), ("CAA", .caa), ("IXFR", .ixfr), ("AXFR", .axfr), ("ANY", .any),
    ]
    private static let byName: [String: RecordType] = Dictionary(uniqueKeysWithValues: mnemonics)
    private static let byValue: [UInt16: String] = Dictionary(uniqueKeysWithValues: mnemonics.map { ($1.rawValue, $0) })

    /// Parses a mnemonic (`TLSA`, case-insensitive) or the generic `TYPEnnn` form.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let t = Self.byName[upper] {
            self = t
        } else if upper.hasPrefix("TYPE"), let v = UInt16(upper.dropFirst(4)) {
            self.init(rawValue: v)
        } else {
            return nil
        }
    }

    /// Whether this is a meta-type or QTYPE that never appears in a zone (OPT, IXFR, AXFR, ANY …).
    public var isMetaType: Bool { rawValue == 41 || (rawValue >= 128 && rawValue <= 255) }

    /// The mnemonic, or `TYPEnnn`.
    public var description: String { Self.byValue[rawValue] ?? "TYPE\(rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A resource record CLASS (RFC 1035 §3.2.4), an open set.
public struct RecordClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = Self(rawValue: 1)
    public static let ch = Self(rawValue: 3)
    public static let hs = Self(rawValue: 4)
    public static let none = Self(rawValue: 254)
    public static let any = Self(rawValue: 255)

    /// Parses `IN`, `CH`, `HS`, `NONE`, `ANY` or `CLASSnnn`.
    public init?(mnemonic: String) {
        switch mnemonic.uppercased() {
        case "IN": self = .in
        case "CH": self = .ch
        case "HS": self = .hs
        case "NONE": self = .none
        case "ANY": self = .any
        case let s where s.hasPrefix("CLASS"):
            guard let v = UInt16(s.dropFirst(5)) else { return nil }
            self.init(rawValue: v)
        default: return nil
        }
    }

    public var description: String {
        switch rawValue {
        case 1: "IN"
        case 3: "CH"
        case 4: "HS"
        case 254: "NONE"
        case 255: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}
