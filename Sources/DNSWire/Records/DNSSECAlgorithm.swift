/// A DNS Security Algorithm Number (RFC 4034 App. A.1, IANA registry), an open set.
///
/// It lives in DNSWire because DNSKEY, DS, RRSIG and CERT records carry it on the wire.
public struct DNSSECAlgorithm: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let rsaSHA256 = Self(rawValue: 8)
    public static let rsaSHA512 = Self(rawValue: 10)
    /// ECDSA P-256 with SHA-256, RFC 6605: the algorithm this project signs with.
    public static let ecdsaP256SHA256 = Self(rawValue: 13)
    public static let ecdsaP384SHA384 = Self(rawValue: 14)
    public static let ed25519 = Self(rawValue: 15)

    public var description: String { String(rawValue) }
}

/// A DNSKEY/DS digest type (RFC 4034 §5.1.3, RFC 4509), an open set.
public struct DigestType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let sha1 = Self(rawValue: 1)
    public static let sha256 = Self(rawValue: 2)
    public static let sha384 = Self(rawValue: 4)

    public var description: String { String(rawValue) }
}
