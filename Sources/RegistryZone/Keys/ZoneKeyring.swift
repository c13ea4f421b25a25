import Crypto
public import DNSSEC
import Foundation
public import PKI

/// The zone's DNSSEC keys (KSK and ZSK, ECDSA P-256), kept encrypted at rest in the registry's key store.
///
/// Why in the same store as the CA keys: one operator secret unlocks every private key of the registry, and the
/// same rules hold for all of them (files 0600, AES-GCM, never logged).
public struct ZoneKeyring: Sendable {
    public static let keySigningLabel = "dnssec-ksk"
    public static let zoneSigningLabel = "dnssec-zsk"

    public let store: SoftwareKeyStore

    public init(store: SoftwareKeyStore) {
        self.store = store
    }

    /// Whether the zone keys exist yet.
    public var exists: Bool {
        ((try? store.labels()) ?? []).contains(Self.keySigningLabel)
    }

    /// Makes a new KSK and ZSK; refuses when they exist (a second KSK would break the published DS).
    @discardableResult
    public func create() throws -> ZoneKeys {
        guard !exists else {
            throw RegistryZoneError(.keys, "the zone already has DNSSEC keys in \(store.directory.path)")
        }
        _ = try store.generateKey(label: Self.keySigningLabel, algorithm: .ecdsaP256)
        _ = try store.generateKey(label: Self.zoneSigningLabel, algorithm: .ecdsaP256)
        return try load()
    }

    /// Reads the KSK and ZSK.
    /// - Throws: `RegistryZoneError` `.keys` naming what is missing or undecryptable.
    public func load() throws -> ZoneKeys {
        do {
            let ksk = DNSSECKey(role: .keySigning, privateKey: try store.p256PrivateKey(label: Self.keySigningLabel))
            let zsk = DNSSECKey(role: .zoneSigning, privateKey: try store.p256PrivateKey(label: Self.zoneSigningLabel))
            return try ZoneKeys(keySigningKey: ksk, zoneSigningKey: zsk)
        } catch let error as RegistryZoneError {
            throw error
        } catch {
            throw RegistryZoneError(
                .keys,
                "cannot read the zone's DNSSEC keys from \(store.directory.path): \(error); run `iotreg init` "
                    + "for a new registry or restore the key folder and its operator secret")
        }
    }
}
