/// The keys of one zone: one KSK, the active ZSK, and ZSKs published ahead of a rollover (RFC 6781 §4.1.1.1).
public struct ZoneKeys: Sendable {
    /// Signs the DNSKEY RRset; its DS is the zone's trust anchor.
    public var keySigningKey: DNSSECKey
    /// Signs every other RRset.
    public var zoneSigningKey: DNSSECKey
    /// Published in the DNSKEY RRset but not signing (pre-publication), or retired and still published.
    public var publishedOnly: [DNSSECKey]

    /// - Throws: ``DNSSECError`` `badKey` when a key's role does not match its slot.
    public init(keySigningKey: DNSSECKey, zoneSigningKey: DNSSECKey, publishedOnly: [DNSSECKey] = []) throws {
        guard keySigningKey.role == .keySigning else {
            throw DNSSECError(.badKey, "the KSK slot needs a key-signing key (flags 257)")
        }
        guard zoneSigningKey.role == .zoneSigning else {
            throw DNSSECError(.badKey, "the ZSK slot needs a zone-signing key (flags 256)")
        }
        self.keySigningKey = keySigningKey
        self.zoneSigningKey = zoneSigningKey
        self.publishedOnly = publishedOnly
    }

    /// Generates a fresh KSK and ZSK.
    public static func generate() -> ZoneKeys {
        // Roles are correct by construction.
        // swift-format-ignore: NeverUseForceTry
        try! ZoneKeys(keySigningKey: DNSSECKey(role: .keySigning), zoneSigningKey: DNSSECKey(role: .zoneSigning))
    }

    /// All keys in the DNSKEY RRset.
    public var published: [DNSSECKey] { [keySigningKey, zoneSigningKey] + publishedOnly }
}
