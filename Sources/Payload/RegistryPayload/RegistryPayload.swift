public import Foundation

// The key table (also in RegistryPayload.cddl). Small integer keys keep the payload short on the eSIM.
//
// registry-payload = {
//   1: uint,                 ; version (1)
//   2: uint,                 ; sequence: strictly increasing per device; a device refuses older or equal ones
//   3: uint,                 ; issuedAt, seconds since 1970
//   4: uint,                 ; notAfter, seconds since 1970
//   5: device,               ; who this payload is for
//   6: asp-endpoint,         ; where the device connects
//   7: bstr,                 ; registry root certificate (DER)
//   8: dns-resolver,         ; DNS-over-TLS resolver
//   9: [+ trust-anchor],     ; DNSSEC trust anchors (IANA root KSKs + registry zone DS)
//   ? 10: wifi,              ; Wi-Fi credentials, secret sealed with HPKE to the eSIM's key-agreement key
//   ? 11: tstr,              ; MUD URL (RFC 8520)
//   ? 12: seed-signatures,   ; detached signatures for the seed's on-SIM container layout
//   ? 13: tstr,              ; EST base URL (RFC 7030), where the device renews its certificate
// }
//
// The whole map is encoded deterministically (RFC 8949 §4.2.1) and signed as a COSE_Sign1 (ES256).

/// The Registry Payload: everything a device needs to find, trust and reach its service, signed by the registry.
///
/// The MNO delivers it over the air to the eSIM; the device verifies the signature up to the registry root it
/// already holds, checks that the payload names it, and refuses replays by ``sequence``. Secrets in it (the Wi-Fi
/// passphrase) are sealed to the eSIM's key-agreement key, so the MNO carrying it cannot read them.
public struct RegistryPayload: Hashable, Sendable {
    /// The format version this code writes and reads.
    public static let currentVersion: UInt64 = 1

    /// Format version; readers refuse versions they do not know.
    public var version: UInt64
    /// Strictly increasing per device (anti-rollback).
    public var sequence: UInt64
    /// When the registry made it (whole seconds).
    public var issuedAt: Date
    /// After this the device must not accept it (whole seconds).
    public var notAfter: Date
    /// The device the payload is for.
    public var device: Device
    /// The ASP endpoint the device connects to.
    public var asp: ASPEndpoint
    /// The registry root certificate (DER): the device's anchor for payload and client-certificate chains.
    public var registryRoot: [UInt8]
    /// The DNS-over-TLS resolver the device uses.
    public var resolver: DNSResolver
    /// DNSSEC trust anchors (IANA root and the registry zone).
    public var trustAnchors: [DNSTrustAnchor]
    /// Wi-Fi credentials, when the device uses Wi-Fi.
    public var wifi: WiFi?
    /// The device's MUD URL (RFC 8520), when the ASP publishes one.
    public var mudURL: String?
    /// Signatures the seed's middleware checks (container map IDs 9 and 10), when the registry provides them.
    public var seedSignatures: SeedSignatures?
    /// The registry's EST base URL (`https://host:port/.well-known/est`, RFC 7030 §3.2.2): where the device renews
    /// its certificate with `simplereenroll` before it expires, authenticated by the certificate it holds. The
    /// server's certificate chains to ``registryRoot``.
    public var estURL: String?

    /// Makes a payload (times are truncated to whole seconds, as encoded).
    public init(
        version: UInt64 = RegistryPayload.currentVersion,
        sequence: UInt64,
        issuedAt: Date,
        notAfter: Date,
        device: Device,
        asp: ASPEndpoint,
        registryRoot: [UInt8],
        resolver: DNSResolver,
        trustAnchors: [DNSTrustAnchor],
        wifi: WiFi? = nil,
        mudURL: String? = nil,
        seedSignatures: SeedSignatures? = nil,
        estURL: String? = nil
    ) {
        self.version = version
        self.sequence = sequence
        self.issuedAt = Self.date(Self.seconds(issuedAt))
        self.notAfter = Self.date(Self.seconds(notAfter))
        self.device = device
        self.asp = asp
        self.registryRoot = registryRoot
        self.resolver = resolver
        self.trustAnchors = trustAnchors
        self.wifi = wifi
        self.mudURL = mudURL
        self.seedSignatures = seedSignatures
        self.estURL = estURL
    }

    // MARK: - Encoding

    /// The payload as a CBOR map with the integer keys of the table above.
    public var cbor: CBOR {
        var map: [CBOR: CBOR] = [:]
        map.set(1, .unsigned(version))
        map.set(2, .unsigned(sequence))
        map.set(3, .unsigned(Self.seconds(issuedAt)))
        map.set(4, .unsigned(Self.seconds(notAfter)))
        map.set(5, device.cbor)
        map.set(6, asp.cbor)
        map.set(7, .bytes(registryRoot))
        map.set(8, resolver.cbor)
        map.set(9, .array(trustAnchors.map(\.cbor)))
        map.set(10, wifi?.cbor)
        map.set(11, mudURL.map { .text($0) })
        map.set(12, seedSignatures?.cbor)
        map.set(13, estURL.map { .text($0) })
        return .map(map)
    }

    /// The deterministic CBOR encoding (the COSE payload).
    public func encoded() -> [UInt8] { cbor.encoded() }

    /// Reads a payload from its CBOR value.
    ///
    /// Unknown keys are ignored (additions within a version must be optional); a different ``version`` is refused.
    /// - Throws: ``PayloadError`` `unsupportedVersion`, `missingField` or `unexpectedType`.
    public init(cbor: CBOR) throws {
        let r = try CBORMapReader(cbor, structure: "Registry Payload")
        let version = try r.uint(1, "version")
        guard version == Self.currentVersion else {
            throw PayloadError(
                .unsupportedVersion,
                "Registry Payload version \(version) is not supported (this device reads version \(Self.currentVersion))"
            )
        }
        guard let anchors = try r.required(9, "trustAnchors").arrayValue else {
            throw PayloadError(.unexpectedType, "Registry Payload trustAnchors (key 9) must be an array")
        }
        self.init(
            version: version,
            sequence: try r.uint(2, "sequence"),
            issuedAt: Self.date(try r.uint(3, "issuedAt")),
            notAfter: Self.date(try r.uint(4, "notAfter")),
            device: try Device(cbor: try r.required(5, "device")),
            asp: try ASPEndpoint(cbor: try r.required(6, "asp")),
            registryRoot: try r.bytes(7, "registryRoot"),
            resolver: try DNSResolver(cbor: try r.required(8, "resolver")),
            trustAnchors: try anchors.map(DNSTrustAnchor.init(cbor:)),
            wifi: try r.optional(10).map(WiFi.init(cbor:)),
            mudURL: try r.optionalText(11, "mudURL"),
            seedSignatures: try r.optional(12).map(SeedSignatures.init(cbor:)),
            estURL: try r.optionalText(13, "estURL")
        )
    }

    /// Decodes a payload from bytes, requiring the deterministic encoding.
    public init(decoding bytes: [UInt8], decoder: CBORDecoder = CBORDecoder(requireDeterministic: true)) throws {
        try self.init(cbor: try decoder.decode(bytes))
    }

    // MARK: - Signing

    /// Signs the payload as a COSE_Sign1 (ES256) with the registry's payload key.
    ///
    /// - Parameters:
    ///   - signer: the payload-signing key (through the registry's key store).
    ///   - keyID: the key's identifier (`kid`, e.g. its SPKI SHA-256), for key rollover.
    ///   - certificateChain: the payload-signing certificate first, then its issuers up to (optionally) the root,
    ///     all DER; the device checks it up to the ``registryRoot`` it already holds.
    /// - Returns: the tagged COSE_Sign1 bytes, as delivered to the device (`application/cose`).
    public func signed(by signer: some COSESigner, keyID: [UInt8], certificateChain: [[UInt8]]) throws -> [UInt8] {
        let headers = COSEHeaders(keyID: keyID, x5chain: certificateChain.isEmpty ? nil : certificateChain)
        return try COSESign1.sign(payload: encoded(), protected: headers, signer: signer).encoded()
    }

    // MARK: - Time helpers

    static func seconds(_ date: Date) -> UInt64 {
        let t = date.timeIntervalSince1970.rounded(.down)
        guard t > 0 else { return 0 }
        return t >= 1.8e19 ? UInt64.max : UInt64(t)
    }

    static func date(_ seconds: UInt64) -> Date { Date(timeIntervalSince1970: Double(seconds)) }
}
