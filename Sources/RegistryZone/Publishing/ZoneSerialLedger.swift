public import Foundation

/// Where the signer remembers the last SOA serial it published, and the outbox position that zone reflects.
///
/// Secondaries ignore a zone whose serial went back (RFC 1982), so the next signer, the same process after a
/// restart or another node after a takeover, must start after every serial published before. One node keeps it in
/// a file (``ZoneSerialFile``); nodes sharing a database keep it there, where a standby can read it.
public protocol ZoneSerialLedger: Sendable {
    /// The serial for a zone built from scratch now.
    func nextSerial(now: Date) async throws -> UInt32
    /// Records that the zone at `serial`, reflecting the outbox through `position`, is published.
    func recordPublished(serial: UInt32, position: Int64) async throws
}

extension ZoneSerialLedger {
    /// After `last` (when known) and at least the current Unix time, so a lost record still moves forward.
    public static func serial(after last: UInt32?, now: Date) -> UInt32 {
        let clock = UInt32(clamping: Int64(now.timeIntervalSince1970))
        guard let last else { return clock }
        // RFC 1982: `clock` is ahead of `last` when the distance is in (0, 2^31).
        return clock &- last > 0 && clock &- last < 1 << 31 ? clock : last &+ 1
    }
}
