public import Foundation
public import Payload

/// What every payload of this registry carries besides the device's own facts: where devices resolve names and
/// which DNSSEC anchors they trust, how long a payload lives, and the site's Wi-Fi, if devices use it.
public struct PayloadSettings: Sendable {
    /// The DNS-over-TLS resolver devices use (the registry's own DoT listener, or the operator's resolver).
    public var resolver: RegistryPayload.DNSResolver
    /// The IANA root anchors and the registry zone's DS.
    public var trustAnchors: [DNSTrustAnchor]
    /// How long a delivered payload is valid; the registry makes a fresh one with each certificate.
    public var lifetime: TimeInterval
    /// Wi-Fi SSID and passphrase; the passphrase is sealed (HPKE) to each eSIM's key-agreement key.
    public var wifi: (ssid: String, passphrase: String)?
    /// Whether to add the issuing CA's detached signatures the seed's on-SIM layout expects.
    public var seedSignatures: Bool
    /// The EST base URL devices renew at (`https://host:port/.well-known/est`), when the registry runs its EST
    /// listener; nil leaves renewal to the MNO channel.
    public var estURL: String?

    public init(
        resolver: RegistryPayload.DNSResolver, trustAnchors: [DNSTrustAnchor], lifetime: TimeInterval = 90 * 86_400,
        wifi: (ssid: String, passphrase: String)? = nil, seedSignatures: Bool = true, estURL: String? = nil
    ) {
        self.resolver = resolver
        self.trustAnchors = trustAnchors
        self.lifetime = lifetime
        self.wifi = wifi
        self.seedSignatures = seedSignatures
        self.estURL = estURL
    }
}
