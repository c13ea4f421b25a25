/// One device as the zone shows it: the registry record's EID and profile, and the one certificate both of its
/// records are derived from.
///
/// Why a single certificate: the TLSA and the CERT record are two views of the same DER, computed here and nowhere
/// else, so they can never disagree.
public struct PublishedIdentity: Sendable, Hashable {
    public var eid: String
    public var rpid: Int64
    /// The device's current certificate, DER.
    public var certificate: [UInt8]

    public init(eid: String, rpid: Int64, certificate: [UInt8]) {
        self.eid = eid
        self.rpid = rpid
        self.certificate = certificate
    }
}

/// An ASP's TLS service as the zone shows it, when the ASP's host name lies inside the registry zone.
public struct PublishedService: Sendable, Hashable {
    public var fqdn: String
    public var port: Int
    /// The ASP's server certificate, DER.
    public var certificate: [UInt8]

    public init(fqdn: String, port: Int, certificate: [UInt8]) {
        self.fqdn = fqdn
        self.port = port
        self.certificate = certificate
    }
}
