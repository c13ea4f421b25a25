public import DNSWire

/// The operator's choices for the registry zone: its name, its name servers and the revocation bound.
///
/// Why the TTLs are one setting: a revoked device must disappear from every cache within the operator's bound
/// (DESIGN.md: default 5 minutes). A positive answer lives for the TLSA TTL; a negative answer for
/// min(SOA MINIMUM, SOA TTL) (RFC 2308, RFC 9077); both are set from ``revocationBound``.
public struct ZoneConfiguration: Sendable, Hashable {
    /// A name server of the zone and, when it is inside the zone, the addresses published as glue.
    public struct NameServer: Sendable, Hashable {
        public var name: DNSName
        public var ipv4: [A]
        public var ipv6: [AAAA]

        public init(name: DNSName, ipv4: [A] = [], ipv6: [AAAA] = []) {
            self.name = name
            self.ipv4 = ipv4
            self.ipv6 = ipv6
        }
    }

    public var layout: ZoneLayout
    public var nameServers: [NameServer]
    /// The SOA RNAME, the zone contact as a domain name (`hostmaster.Z`).
    public var contact: DNSName
    /// Seconds within which a revocation is visible to every resolver (TLSA, CERT and negative TTL).
    public var revocationBound: UInt32
    /// TTL of the apex records (SOA, NS, the CA TLSAs): they change rarely.
    public var apexTTL: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32

    public var apex: DNSName { layout.apex }

    /// - Parameters:
    ///   - apex: the zone, e.g. `iotregistry.test.`.
    ///   - nameServers: defaults to `ns1.<apex>` at 127.0.0.1.
    public init(
        apex: DNSName, nameServers: [NameServer]? = nil, contact: DNSName? = nil, revocationBound: UInt32 = 300,
        apexTTL: UInt32 = 3600, refresh: UInt32 = 300, retry: UInt32 = 60, expire: UInt32 = 14 * 86_400
    ) throws {
        let layout = ZoneLayout(apex: apex)
        self.layout = layout
        let ns1 = try layout.apex.prepending(label: Array("ns1".utf8))
        self.nameServers = nameServers ?? [NameServer(name: ns1, ipv4: A(address: [127, 0, 0, 1]).map { [$0] } ?? [])]
        self.contact = try contact ?? layout.apex.prepending(label: Array("hostmaster".utf8))
        self.revocationBound = revocationBound
        self.apexTTL = apexTTL
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
    }

    /// The SOA for a given serial; MINIMUM is the revocation bound, so NXDOMAIN answers expire within it.
    public func soa(serial: UInt32) -> ResourceRecord {
        ResourceRecord(
            name: apex, ttl: min(apexTTL, revocationBound),
            rdata: .soa(
                SOA(
                    mname: nameServers.first?.name ?? apex, rname: contact, serial: serial, refresh: refresh,
                    retry: retry, expire: expire, minimum: revocationBound)))
    }
}
