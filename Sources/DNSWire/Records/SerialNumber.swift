/// A 32-bit serial number with RFC 1982 arithmetic (SOA serials, RRSIG times).
public struct SerialNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ value: UInt32) { self.rawValue = value }

    /// Serial addition, RFC 1982 §3.1: `n` must be at most 2^31 - 1.
    public func adding(_ n: UInt32) -> SerialNumber { SerialNumber(rawValue &+ min(n, 0x7FFF_FFFF)) }

    /// Whether `self` is before `other` in serial order (RFC 1982 §3.2); undefined pairs (exactly 2^31 apart) are false.
    public func isBefore(_ other: SerialNumber) -> Bool {
        let d = other.rawValue &- rawValue
        return d != 0 && d < 0x8000_0000
    }

    /// The next serial after `self` that is also at least `minimum` in serial order (for date-based serials).
    public func next(atLeast minimum: UInt32? = nil) -> SerialNumber {
        let bumped = adding(1)
        if let minimum, bumped.isBefore(SerialNumber(minimum)) { return SerialNumber(minimum) }
        return bumped
    }

    public var description: String { String(rawValue) }
}
