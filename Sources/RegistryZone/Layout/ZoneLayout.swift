public import DNSWire

/// Where the registry's facts live in its zone (DESIGN.md "DNS names"), in one place so that the publisher, the
/// consistency check and the middleware agree on every owner name.
///
/// ```
/// <eid>._device.Z        TLSA 3 1 1 <sha256 of the device certificate's SPKI>   (DANE client identity)
/// <rpid>.<eid>.Z         CERT PKIX 0 0 <DER of the device certificate>          (the seed's profile name)
/// _ca._device.Z          TLSA 2 0 1 <sha256 of each issuing CA certificate>     (DANE-TA for devices)
/// Z                      TLSA 0 0 0 <DER of the root and issuing CA certificates>
/// _<port>._tcp.<asp>     TLSA 3 1 1 <sha256 of the ASP server certificate's SPKI> (when <asp> is under Z)
/// ```
///
/// The DANE-TA record is at `_ca._device.Z`, not at the wildcard `*._device.Z` that DESIGN.md sketches: with a
/// wildcard, a query for a revoked device's name would be answered by wildcard synthesis (RFC 4592) with the CA's
/// TLSA instead of a signed NXDOMAIN, so a DANE client would still accept the revoked device. The NSEC proof that
/// the name is gone is the revocation list; the wildcard would erase it.
public struct ZoneLayout: Sendable, Hashable {
    /// The zone apex `Z`, lowercased.
    public let apex: DNSName

    public init(apex: DNSName) {
        self.apex = apex.lowercased()
    }

    /// `_device.Z`, the parent of every device identity name.
    public var deviceParent: DNSName {
        // Never fails: one short label on a valid apex stays within 255 octets unless the apex is already at the
        // limit, which `init(zone:)` style callers reject before reaching here.
        (try? apex.prepending(label: Array("_device".utf8))) ?? apex
    }

    /// `<eid>._device.Z`: the device's DANE client identity, the SAN dNSName of its certificate.
    public func deviceIdentityName(eid: String) throws -> DNSName {
        try deviceParent.prepending(label: Array(eid.utf8))
    }

    /// `<rpid>.<eid>.Z`: the profile name (the certificate's CN, the seed's naming).
    public func profileName(rpid: Int64, eid: String) throws -> DNSName {
        try apex.prepending(label: Array(eid.utf8)).prepending(label: Array(String(rpid).utf8))
    }

    /// `_ca._device.Z`: DANE-TA (usage 2) for the issuing CAs that sign device certificates.
    public var deviceTrustAnchorName: DNSName {
        (try? deviceParent.prepending(label: Array("_ca".utf8))) ?? deviceParent
    }

    /// `_<port>._tcp.<fqdn>` for an ASP's TLS service, or nil when `fqdn` is not in this zone (another zone's
    /// operator publishes it there).
    public func serviceName(fqdn: String, port: Int) throws -> DNSName? {
        let host = try DNSName(fqdn.hasSuffix(".") ? fqdn : fqdn + ".").lowercased()
        guard host.isSubdomain(of: apex), host != apex else { return nil }
        return try host.prepending(label: Array("_tcp".utf8)).prepending(label: Array("_\(port)".utf8))
    }
}
