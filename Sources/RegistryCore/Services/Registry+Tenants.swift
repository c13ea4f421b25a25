public import Foundation
import Crypto

/// What onboarding hands back: the new tenant's id and its token, shown once.
public struct OnboardingResult: Sendable {
    public var id: String
    public var token: APIToken
}

/// An ASP's onboarding data as submitted.
public struct NewASP: Sendable, Codable {
    public var name: String
    public var fqdn: String
    public var port: Int
    public var url: String?
    public var transportProtocol: String?
    public var serverCertificatePEM: String?

    public init(
        name: String, fqdn: String, port: Int, url: String? = nil, transportProtocol: String? = nil,
        serverCertificatePEM: String? = nil
    ) {
        self.name = name
        self.fqdn = fqdn
        self.port = port
        self.url = url
        self.transportProtocol = transportProtocol
        self.serverCertificatePEM = serverCertificatePEM
    }
}

extension Registry {
    /// Creates the first operator token of a new registry.
    ///
    /// Called once by `iotreg init`; the token is printed once and written 0600, only its hash is stored.
    public func bootstrapOperator() async throws -> APIToken {
        let token = APIToken.generate(prefix: "op")
        var changes = ChangeSet()
        changes.tenantInserts.append(TenantInsert(record: .registryOperator, tokenHash: token.hash))
        changes.audit.append(AuditDraft(at: now, actor: "system", action: "operator.bootstrap", target: "registry"))
        try await store.commit(changes)
        return token
    }

    /// Onboards an ASP (operator only), recording its endpoint like a registrar's details.
    public func createASP(_ request: NewASP, by principal: Principal) async throws -> OnboardingResult {
        try requireOperator(principal)
        let name = try Validate.name(request.name, field: "name")
        let fqdn = try Validate.hostname(request.fqdn, field: "fqdn")
        guard (1...65535).contains(request.port) else {
            throw RegistryError.invalidInput("port must be between 1 and 65535 (got \(request.port))")
        }
        if let url = request.url { _ = try Validate.url(url, field: "url") }
        let proto = request.transportProtocol ?? "mqtts"
        guard ["mqtts", "https", "coaps", "tls"].contains(proto) else {
            throw RegistryError.invalidInput("protocol must be one of mqtts, https, coaps, tls (got \(proto))")
        }
        if let pem = request.serverCertificatePEM { _ = try PEM.certificateDER(pem) }
        let asp = ASP(
            id: RandomText.identifier(prefix: "asp"), name: name, fqdn: fqdn, port: request.port, url: request.url,
            transportProtocol: proto, serverCertificatePEM: request.serverCertificatePEM, createdAt: now)
        let token = APIToken.generate(prefix: "asp")
        var changes = ChangeSet()
        changes.tenantInserts.append(TenantInsert(record: .asp(asp), tokenHash: token.hash))
        changes.audit.append(
            AuditDraft(
                at: now, actor: principal.description, action: "asp.create", target: "asp:\(asp.id)",
                details: Self.details(["name": name, "fqdn": fqdn, "port": String(request.port)])))
        try await store.commit(changes)
        return OnboardingResult(id: asp.id, token: token)
    }

    /// Onboards a device owner or an MNO (operator only).
    public func createTenant(kind: TenantKind, name: String, by principal: Principal) async throws -> OnboardingResult {
        try requireOperator(principal)
        precondition(kind != .asp, "ASPs are onboarded with createASP")
        let name = try Validate.name(name, field: "name")
        let tenant = NamedTenant(
            id: RandomText.identifier(prefix: kind.rawValue), kind: kind, name: name, createdAt: now)
        let token = APIToken.generate(prefix: kind.rawValue)
        var changes = ChangeSet()
        changes.tenantInserts.append(TenantInsert(record: .named(tenant), tokenHash: token.hash))
        changes.audit.append(
            AuditDraft(
                at: now, actor: principal.description, action: "\(kind.rawValue).create",
                target: "\(kind.rawValue):\(tenant.id)", details: Self.details(["name": name])))
        try await store.commit(changes)
        return OnboardingResult(id: tenant.id, token: token)
    }

    /// Lists ASPs by id (operator only).
    public func listASPs(after cursor: String?, limit: Int, by principal: Principal) async throws -> [ASP] {
        try requireOperator(principal)
        return try await store.asps(after: cursor, limit: limit)
    }

    /// One ASP: the operator, or that ASP itself.
    public func asp(id: String, by principal: Principal) async throws -> ASP {
        guard principal == .registryOperator || principal == .asp(id), let asp = try await store.asp(id: id) else {
            throw RegistryError.notFound("no ASP '\(id)' visible to you")
        }
        return asp
    }

    /// Registers a TLS client certificate the ASP will present on EPP logins (the operator or that ASP).
    public func addClientCertificate(aspID: String, pem: String, by principal: Principal) async throws
        -> ClientCertificate
    {
        guard principal == .registryOperator || principal == .asp(aspID),
            try await store.asp(id: aspID) != nil
        else {
            throw RegistryError.notFound("no ASP '\(aspID)' visible to you")
        }
        let der = try PEM.certificateDER(pem)
        let certificate = ClientCertificate(
            aspID: aspID, sha256: SHA256.hash(data: der).hexString, pem: pem, createdAt: now)
        var changes = ChangeSet()
        changes.clientCertificates.append(certificate)
        changes.audit.append(
            AuditDraft(
                at: now, actor: principal.description, action: "asp.certificate.add", target: "asp:\(aspID)",
                details: Self.details(["sha256": certificate.sha256])))
        try await store.commit(changes)
        return certificate
    }

    func requireOperator(_ principal: Principal) throws {
        guard principal == .registryOperator else {
            throw RegistryError.forbidden("only the registry operator may do this; you are \(principal.role)")
        }
    }
}
