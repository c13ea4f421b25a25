import DNSSEC
import DNSWire
import Foundation
import Logging
import PKI
import RegistryCore
import RegistryStorePostgres
import RegistryZone
import SwiftASN1
import X509

/// The registry's DNSSEC zone on disk, inside the data folder:
///
/// ```
/// DIR/ca/keys/dnssec-ksk.key   the zone's KSK and ZSK, in the same encrypted key store as the CA keys
/// DIR/ca/keys/dnssec-zsk.key
/// DIR/zone.serial              the last SOA serial published, so it only moves forward across restarts
/// ```
extension RegistryHome {
    var zoneSerialFile: ZoneSerialFile { ZoneSerialFile(url: directory.appendingPathComponent("zone.serial")) }

    /// The zone's keys; made on first use (with `create`), refused otherwise when missing.
    func zoneKeys(create: Bool) throws -> ZoneKeys {
        let keyring = ZoneKeyring(store: try keyStore(create: create))
        if !keyring.exists {
            guard create else {
                throw CLIError("the registry in \(directory.path) has no DNSSEC keys yet; run `iotreg serve` once")
            }
            return try keyring.create()
        }
        return try keyring.load()
    }

    func zoneConfiguration(zone: String, revocationBound: UInt32 = 300) throws -> ZoneConfiguration {
        try ZoneConfiguration(
            apex: try DNSName(zone.hasSuffix(".") ? zone : zone + "."), revocationBound: revocationBound)
    }

    /// A publisher that derives the zone from `store` and signs it with the registry's keys; with `persistSerial`
    /// the last serial is kept in `zone.serial`, or in the database when nodes share a PostgreSQL.
    func zonePublisher(
        store: any RegistryStore, pki: RegistryPKI, zone: String, keys: ZoneKeys, sink: (any ZoneSink)?,
        persistSerial: Bool = true, revocationBound: UInt32 = 300, logger: Logger
    ) throws -> ZonePublisher {
        let root = try Self.der(pki.hierarchy.root.certificate)
        let issuing = try pki.hierarchy.issuing.sorted { $0.key < $1.key }.map { try Self.der($0.value.certificate) }
        let facts = RegistryZoneFacts(store: store, caCertificates: { (root, issuing) })
        return ZonePublisher(
            records: ZoneRecords(configuration: try zoneConfiguration(zone: zone, revocationBound: revocationBound)),
            facts: facts, keys: keys,
            ledger: persistSerial ? Self.ledger(for: store) ?? zoneSerialFile as any ZoneSerialLedger : nil, sink: sink,
            logger: logger)
    }

    /// The shared serial ledger when `store` is shared by several nodes.
    static func ledger(for store: any RegistryStore) -> DatabaseZoneLedger? {
        (store as? PostgresRegistryStore).map(DatabaseZoneLedger.init)
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
