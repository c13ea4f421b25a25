public import Foundation

/// The kinds of tenant the registry onboards.
public enum TenantKind: String, Codable, Sendable, CaseIterable {
    case asp, owner, mno
}

/// An application/cloud service provider: the registrar of the device world.
///
/// Onboarding records where its devices must connect (FQDN, port, URL, protocol) and its server certificate, as a
/// registrar's onboarding records its details; the payload builder and the DNS publisher read them from here.
public struct ASP: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var fqdn: String
    public var port: Int
    public var url: String?
    public var transportProtocol: String
    /// The ASP's TLS server certificate (PEM), published as TLSA at `_<port>._tcp.<fqdn>` when hosted here.
    public var serverCertificatePEM: String?
    public var createdAt: Date

    public init(
        id: String, name: String, fqdn: String, port: Int, url: String?, transportProtocol: String,
        serverCertificatePEM: String?, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.fqdn = fqdn
        self.port = port
        self.url = url
        self.transportProtocol = transportProtocol
        self.serverCertificatePEM = serverCertificatePEM
        self.createdAt = createdAt
    }
}

/// A device owner (the city) or a mobile network operator: a named tenant with a token.
public struct NamedTenant: Codable, Hashable, Sendable {
    public var id: String
    public var kind: TenantKind
    public var name: String
    public var createdAt: Date

    public init(id: String, kind: TenantKind, name: String, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.name = name
        self.createdAt = createdAt
    }
}

/// A TLS client certificate an ASP registered for EPP logins, kept by fingerprint.
public struct ClientCertificate: Codable, Hashable, Sendable {
    public var aspID: String
    /// Lowercase hex SHA-256 of the certificate's DER.
    public var sha256: String
    public var pem: String
    public var createdAt: Date

    public init(aspID: String, sha256: String, pem: String, createdAt: Date) {
        self.aspID = aspID
        self.sha256 = sha256
        self.pem = pem
        self.createdAt = createdAt
    }
}
