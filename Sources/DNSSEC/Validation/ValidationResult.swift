/// The verdict of DNSSEC validation (RFC 4033 §5).
public enum ValidationResult: Hashable, Sendable, CustomStringConvertible {
    /// Signatures chain to a trust anchor.
    case secure
    /// No trust anchor covers the zone: the data is unsigned by design, not under attack.
    case insecure
    /// A trust anchor covers the zone but the data does not validate; the reason says which check failed.
    case bogus(reason: String)

    public var isSecure: Bool { self == .secure }

    public var description: String {
        switch self {
        case .secure: "secure"
        case .insecure: "insecure"
        case .bogus(let reason): "bogus: \(reason)"
        }
    }
}
