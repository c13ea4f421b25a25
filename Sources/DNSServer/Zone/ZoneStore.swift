public import DNSSEC
public import DNSWire
import NIOConcurrencyHelpers

/// One immutable published version of the zone; readers keep it as long as they need it.
public final class ZoneSnapshot: Sendable {
    /// The signed zone as it was published.
    public let zone: SignedZone
    /// The zone's SOA serial.
    public let serial: UInt32
    /// The IXFR journal valid for this version (diffs ending at ``serial``).
    public let journal: IXFRJournal

    init(zone: SignedZone, journal: IXFRJournal) {
        self.zone = zone
        self.serial = zone.serial
        self.journal = journal
    }
}

/// The authoritative data the server answers from: the current ``ZoneSnapshot``, swapped atomically.
///
/// The registry signs a new version off to the side (``SignedZone/apply(_:now:)``) and calls
/// ``publish(_:diff:)``; the lock only guards a pointer swap, so a query never waits for signing. Every
/// ``DNSServer`` serving this store sends NOTIFY to its secondaries after each publish (in the background).
public final class ZoneStore: Sendable {
    private let current: NIOLockedValueBox<ZoneSnapshot>
    private let observers = NIOLockedValueBox<[Int: @Sendable (ZoneSnapshot) -> Void]>([:])
    private let nextObserver = NIOLockedValueBox(0)
    /// The most diffs the journal keeps; older serials get an AXFR-shaped answer to IXFR.
    public let journalLimit: Int

    /// - Parameters:
    ///   - zone: the first version to serve.
    ///   - journalLimit: how many diffs IXFR can bridge (default 100); 0 keeps none (IXFR always falls back to AXFR).
    public init(_ zone: SignedZone, journalLimit: Int = 100) {
        self.journalLimit = max(0, journalLimit)
        current = NIOLockedValueBox(ZoneSnapshot(zone: zone, journal: IXFRJournal(limit: max(0, journalLimit))))
    }

    /// The version to answer from now.
    public var snapshot: ZoneSnapshot { current.withLockedValue { $0 } }

    /// The zone apex.
    public var apex: DNSName { snapshot.zone.apex }

    /// Makes `zone` the served version, journals `diff` for IXFR, and lets every server on this store NOTIFY.
    ///
    /// - Parameters:
    ///   - zone: the new signed zone.
    ///   - diff: what changed since the current version (from ``SignedZone/apply(_:now:)``); with nil, or a diff
    ///     that does not start at the current serial, the journal restarts and older secondaries get AXFR.
    /// - Throws: ``DNSServerError`` `staleSerial` when the zone's serial is not after the current one (a diff that
    ///   changed nothing is accepted and ignored).
    public func publish(_ zone: SignedZone, diff: ZoneDiff?) throws {
        if let snapshot = try swap(zone, diff: diff) {
            for o in observers.withLockedValue({ Array($0.values) }) { o(snapshot) }
        }
    }

    /// The swap alone; nil when nothing changed.
    func swap(_ zone: SignedZone, diff: ZoneDiff?) throws -> ZoneSnapshot? {
        if let diff, diff.isEmpty { return nil }
        return try current.withLockedValue { old in
            guard SerialNumber(old.serial).isBefore(SerialNumber(zone.serial)) || old.serial == zone.serial && diff == nil
            else {
                throw DNSServerError(
                    .staleSerial,
                    "serial \(zone.serial) is not after the served \(old.serial); bump the SOA serial before publishing")
            }
            var journal = old.journal
            if let diff, diff.oldSerial == old.serial, diff.newSerial == zone.serial {
                journal.append(diff)
            } else {
                journal = IXFRJournal(limit: journalLimit)
            }
            old = ZoneSnapshot(zone: zone, journal: journal)
            return old
        }
    }

    /// Registers `observer` to run (synchronously, so it must be quick) after each publish; returns its token.
    func observe(_ observer: @escaping @Sendable (ZoneSnapshot) -> Void) -> Int {
        let token = nextObserver.withLockedValue { n in
            n += 1
            return n
        }
        observers.withLockedValue { $0[token] = observer }
        return token
    }

    func stopObserving(_ token: Int) { observers.withLockedValue { $0[token] = nil } }
}
