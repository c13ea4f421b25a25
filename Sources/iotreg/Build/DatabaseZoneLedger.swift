import Foundation
import RegistryStorePostgres
import RegistryZone

/// The zone's serial ledger in the shared PostgreSQL, for nodes that take turns as the signer: a node that takes
/// over starts after the last serial any node published, and every node's payload builder can see how far the
/// served zone has got (``publishedThrough()``), whichever node signs it.
///
/// Serials are compared as plain integers here, not in RFC 1982 arithmetic: the first serial is the Unix time, so
/// the 32-bit space wraps only after 2106 minus one serial per change, and the ledger refuses to move back.
struct DatabaseZoneLedger: ZoneSerialLedger {
    static let serialMark = "zone.serial"
    static let positionMark = "zone.position"

    let store: PostgresRegistryStore

    func nextSerial(now: Date) async throws -> UInt32 {
        let last = try await store.mark(Self.serialMark).map { UInt32(truncatingIfNeeded: $0) }
        return Self.serial(after: last, now: now)
    }

    func recordPublished(serial: UInt32, position: Int64) async throws {
        try await store.raiseMarks([Self.serialMark: Int64(serial), Self.positionMark: position])
    }

    /// The signer's last publication: the position first, then the serial, so the serial is at least the one that
    /// published the position (``SecondaryWatch`` relies on it).
    func published() async -> (serial: UInt32, position: Int64)? {
        guard let position = try? await store.mark(Self.positionMark),
            let serial = try? await store.mark(Self.serialMark)
        else { return nil }
        return (UInt32(truncatingIfNeeded: serial), position)
    }

    /// The outbox position the zone served by the signer (on any node) reflects.
    func publishedThrough() async -> Int64 {
        (try? await store.mark(Self.positionMark)) ?? 0
    }
}
