import Foundation

/// Reads the EPP door needs beyond what REST uses: certificate match at login, bulk availability, and the views
/// a would-be gaining ASP is entitled to (RFC 5731 lets authInfo holders and transfer parties see an object).
/// They change nothing; every write still goes through the use cases in the other `Registry+` files.
extension Registry {
    /// Whether `sha256` (lowercase hex of a certificate's DER) is a client certificate ASP `aspID` registered.
    ///
    /// Only that ASP (or the operator) may ask, so a login first proves the token, then the certificate.
    public func hasClientCertificate(aspID: String, sha256: String, by principal: Principal) async throws -> Bool {
        guard principal == .registryOperator || principal == .asp(aspID) else {
            throw RegistryError.notFound("no ASP '\(aspID)' visible to you")
        }
        let wanted = sha256.lowercased()
        return try await store.clientCertificates(aspID: aspID).contains { $0.sha256 == wanted }
    }

    /// For each EID, whether it is free to register (unknown, or deleted): EPP `<check>`.
    ///
    /// Existence is public anyway (`GET /v1/public/devices/{eid}`), so any authenticated tenant may check.
    /// - Throws: ``RegistryError`` `invalidInput` when an EID fails its check digits.
    public func availability(of eidTexts: [String], by principal: Principal) async throws -> [(eid: EID, free: Bool)] {
        guard principal != .anonymous else { throw RegistryError.unauthenticated("checking devices needs a token") }
        let eids = try eidTexts.map(EID.init)
        let found = try await store.devices(eids: eids)
        return eids.map { eid in (eid, found[eid].map { $0.state == .deleted } ?? true) }
    }

    /// The device, for a caller that presents a transfer code valid for it (EPP `<info>` with authInfo).
    ///
    /// The code must be the owner's, for this device, unused and unexpired; nothing is consumed. A wrong code is
    /// `invalidAuthorization`, exactly as the transfer request itself would answer.
    public func device(_ eidText: String, authCode: String, by principal: Principal) async throws -> Device {
        guard principal != .anonymous else { throw RegistryError.unauthenticated("this needs a token") }
        let eid = try EID(eidText)
        guard let device = try await store.device(eid: eid), device.state != .deleted else {
            throw RegistryError.notFound("device \(eid) is not in the registry")
        }
        if Self.canSee(device, principal) { return device }
        guard let use = try await store.transferCodeUse(codeHash: APIToken.hash(authCode), eid: eid),
            use.ownerID == device.ownerID, use.usedAt == nil, use.expiresAt > now
        else {
            throw RegistryError(.invalidAuthorization, "the transfer code is not valid for device \(eid)")
        }
        return device
    }

    /// The device as a party to its transfer sees it: its sponsor (the losing ASP), or the gaining ASP while the
    /// transfer is pending (EPP `<transfer op="query">`).
    public func transferParty(_ eidText: String, by principal: Principal) async throws -> Device {
        let eid = try EID(eidText)
        guard let device = try await store.device(eid: eid), device.state != .deleted else {
            throw RegistryError.notFound("no device \(eid) visible to you")
        }
        if Self.canSee(device, principal) { return device }
        if case .asp(let id) = principal, device.pendingTransfer?.gainingASPID == id { return device }
        throw RegistryError.notFound("no device \(eid) visible to you")
    }
}
