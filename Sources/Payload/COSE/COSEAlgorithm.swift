/// A COSE algorithm identifier (IANA "COSE Algorithms" registry, RFC 9053).
///
/// An open set: unknown values survive decoding so a verifier can name what it refused.
public struct COSEAlgorithm: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// ECDSA with SHA-256 on P-256, signature `r || s` (64 bytes), RFC 9053 §2.1.
    public static let es256 = Self(rawValue: -7)

    public var description: String { self == .es256 ? "ES256" : "COSE alg \(rawValue)" }
}
