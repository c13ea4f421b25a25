public import DNSSEC

/// Where a freshly signed zone goes: the authoritative server's snapshot store, a file, a test.
///
/// Called on the publisher's actor after every change, in order; `diff` is nil for a zone built from scratch
/// (secondaries then need AXFR), else the change as an IXFR difference sequence.
public protocol ZoneSink: Sendable {
    func publish(_ zone: SignedZone, diff: ZoneDiff?) async
}
