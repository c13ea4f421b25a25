/// Signature timing and TTL choices of a signed zone.
///
/// Defaults follow common practice (BIND, Knot): signatures valid 14 days, backdated one hour for clock skew,
/// refreshed when fewer than 5 days remain.
public struct SigningPolicy: Hashable, Sendable {
    /// How long a new signature is valid, in seconds from now.
    public var validity: UInt32
    /// How far in the past a new signature's inception is set, so validators with slow clocks accept it.
    public var inceptionOffset: UInt32
    /// ``SignedZone/refresh(now:)`` re-signs RRsets whose signature expires within this many seconds.
    public var refreshWindow: UInt32
    /// TTL of the DNSKEY RRset.
    public var dnskeyTTL: UInt32

    public init(
        validity: UInt32 = 14 * 86400, inceptionOffset: UInt32 = 3600, refreshWindow: UInt32 = 5 * 86400,
        dnskeyTTL: UInt32 = 3600
    ) {
        self.validity = validity
        self.inceptionOffset = inceptionOffset
        self.refreshWindow = refreshWindow
        self.dnskeyTTL = dnskeyTTL
    }
}
