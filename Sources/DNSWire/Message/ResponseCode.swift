/// A DNS RCODE (RFC 1035 §4.1.1, RFC 6891 §6.1.3 extended to 12 bits), an open set.
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit value: the header's 4 low bits plus the OPT record's 8 high bits.
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let noError = Self(rawValue: 0)
    public static let formErr = Self(rawValue: 1)
    public static let servFail = Self(rawValue: 2)
    public static let nxDomain = Self(rawValue: 3)
    public static let notImp = Self(rawValue: 4)
    public static let refused = Self(rawValue: 5)
    public static let yxDomain = Self(rawValue: 6)
    public static let yxRRSet = Self(rawValue: 7)
    public static let nxRRSet = Self(rawValue: 8)
    public static let notAuth = Self(rawValue: 9)
    public static let notZone = Self(rawValue: 10)
    /// Extended (needs EDNS): bad OPT version, RFC 6891.
    public static let badVers = Self(rawValue: 16)
    public static let badCookie = Self(rawValue: 23)

    /// Whether the code needs EDNS to be expressed (above 15).
    public var isExtended: Bool { rawValue > 15 }

    public var description: String {
        let names: [UInt16: String] = [
            0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
            7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS", 23: "BADCOOKIE",
        ]
        return names[rawValue] ?? "RCODE\(rawValue)"
    }
}

/// A DNS OPCODE (RFC 1035 §4.1.1, RFC 1996, RFC 2136), an open set of 4-bit values.
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    public static let query = Self(rawValue: 0)
    public static let iquery = Self(rawValue: 1)
    public static let status = Self(rawValue: 2)
    public static let notify = Self(rawValue: 4)
    public static let update = Self(rawValue: 5)

    public var description: String {
        switch rawValue {
        case 0: "QUERY"
        case 2: "STATUS"
        case 4: "NOTIFY"
        case 5: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}
