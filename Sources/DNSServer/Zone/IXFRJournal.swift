public import DNSSEC

/// A bounded, contiguous run of ``ZoneDiff``s ending at the served serial (RFC 1995 §3).
public struct IXFRJournal: Sendable {
    /// The diffs in order; each starts where the previous one ended.
    public private(set) var diffs: [ZoneDiff] = []
    /// The most diffs kept; the oldest are dropped first.
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    mutating func append(_ diff: ZoneDiff) {
        guard limit > 0 else { return }
        diffs.append(diff)
        if diffs.count > limit { diffs.removeFirst(diffs.count - limit) }
    }

    /// The diffs that take a secondary from `serial` to the current version, or nil when `serial` is not in the
    /// journal (the caller falls back to a full transfer).
    public func diffs(from serial: UInt32) -> ArraySlice<ZoneDiff>? {
        guard let i = diffs.firstIndex(where: { $0.oldSerial == serial }) else { return nil }
        return diffs[i...]
    }
}
