public import Foundation

// trust-anchor = {             ; RFC 7958 KeyDigest, reduced to DS data
//   1: tstr,                   ; zone ("." for the root, "iotregistry.test." for the registry zone)
//   2: uint .size 2,           ; KeyTag
//   3: uint .size 1,           ; Algorithm (8 RSASHA256, 13 ECDSAP256SHA256)
//   4: uint .size 1,           ; DigestType (2 = SHA-256)
//   5: bstr,                   ; Digest
//   ? 6: tstr,                 ; id ("Klajeyz")
//   ? 7: uint,                 ; validFrom, seconds since 1970
//   ? 8: uint,                 ; validUntil, seconds since 1970
// }

/// A DNSSEC trust anchor in DS form (RFC 7958 `KeyDigest`): what a device's validator starts from.
///
/// The device validates TLSA records itself, so the payload carries the anchors it needs: the IANA root KSKs
/// (for names under the public root) and the registry zone's DS (for the registry's own zone).
public struct DNSTrustAnchor: Hashable, Sendable {
    /// The zone the anchor is for, fully qualified ("." for the root).
    public var zone: String
    /// The DNSKEY's key tag.
    public var keyTag: UInt16
    /// The DNSKEY's algorithm number.
    public var algorithm: UInt8
    /// The digest algorithm (2 = SHA-256).
    public var digestType: UInt8
    /// The digest of the DNSKEY.
    public var digest: [UInt8]
    /// RFC 7958 `id` attribute, when known.
    public var identifier: String?
    /// RFC 7958 `validFrom`.
    public var validFrom: Date?
    /// RFC 7958 `validUntil`.
    public var validUntil: Date?

    /// Makes an anchor.
    public init(
        zone: String,
        keyTag: UInt16,
        algorithm: UInt8,
        digestType: UInt8,
        digest: [UInt8],
        identifier: String? = nil,
        validFrom: Date? = nil,
        validUntil: Date? = nil
    ) {
        self.zone = zone
        self.keyTag = keyTag
        self.algorithm = algorithm
        self.digestType = digestType
        self.digest = digest
        self.identifier = identifier
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// The DS record's presentation form (`"<zone> IN DS <tag> <alg> <type> <HEX>"`).
    public var dsRecord: String {
        let hex = digest.map { String(format: "%02X", $0) }.joined()
        return "\(zone) IN DS \(keyTag) \(algorithm) \(digestType) \(hex)"
    }

    /// IANA root KSK-2017 (`Klajeyz`), from https://data.iana.org/root-anchors/root-anchors.xml (RFC 7958 form).
    public static let rootKSK2017 = DNSTrustAnchor(
        zone: ".",
        keyTag: 20326,
        algorithm: 8,
        digestType: 2,
        digest: hexBytes("E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"),
        identifier: "Klajeyz",
        validFrom: Date(timeIntervalSince1970: 1_485_993_600)  // 2017-02-02T00:00:00Z
    )

    /// IANA root KSK-2024 (`Kmyv6jo`), from the same root-anchors.xml.
    public static let rootKSK2024 = DNSTrustAnchor(
        zone: ".",
        keyTag: 38696,
        algorithm: 8,
        digestType: 2,
        digest: hexBytes("683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"),
        identifier: "Kmyv6jo",
        validFrom: Date(timeIntervalSince1970: 1_721_260_800)  // 2024-07-18T00:00:00Z
    )

    /// Both current IANA root anchors.
    public static let ianaRoot: [DNSTrustAnchor] = [rootKSK2017, rootKSK2024]

    private static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index != hex.endIndex {
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }
}

extension DNSTrustAnchor {
    var cbor: CBOR {
        var map: [CBOR: CBOR] = [:]
        map.set(1, .text(zone))
        map.set(2, .unsigned(UInt64(keyTag)))
        map.set(3, .unsigned(UInt64(algorithm)))
        map.set(4, .unsigned(UInt64(digestType)))
        map.set(5, .bytes(digest))
        map.set(6, identifier.map { .text($0) })
        map.set(7, validFrom.map { .unsigned(RegistryPayload.seconds($0)) })
        map.set(8, validUntil.map { .unsigned(RegistryPayload.seconds($0)) })
        return .map(map)
    }

    init(cbor: CBOR) throws {
        let r = try CBORMapReader(cbor, structure: "trust anchor")
        self.init(
            zone: try r.text(1, "zone"),
            keyTag: try r.uint(2, "keyTag", as: UInt16.self),
            algorithm: try r.uint(3, "algorithm", as: UInt8.self),
            digestType: try r.uint(4, "digestType", as: UInt8.self),
            digest: try r.bytes(5, "digest"),
            identifier: try r.optionalText(6, "id"),
            validFrom: try r.optionalUInt(7, "validFrom").map(RegistryPayload.date),
            validUntil: try r.optionalUInt(8, "validUntil").map(RegistryPayload.date)
        )
    }
}
