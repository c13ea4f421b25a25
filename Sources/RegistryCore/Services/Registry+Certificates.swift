public import Foundation
public import PKI
import X509

extension Registry {
    // MARK: - issuance

    /// `POST /v1/devices/{eid}/csr`: the device's MNO submits its CSR (PEM or DER); answers the issued certificate.
    ///
    /// Accepted only for an active device with a current profile and no certificate for that profile yet (a
    /// re-key mints a new profile, so a fresh CSR is accepted after it). Nothing but the CSR's key is used.
    public func submitCSR(_ eidText: String, csr: [UInt8], by principal: Principal) async throws -> CertificateRecord {
        let request = try Self.parseCSR { try ValidatedCSR(pemOrDER: csr) }
        return try await enroll(eidText, request, by: principal)
    }

    /// EST `simpleenroll` (RFC 7030 §4.2.1) as bootstrap: the MNO's token authenticates; `eid` (the `?eid=`
    /// parameter) or the CSR's subject CN names the device.
    public func estEnroll(eid: String?, body: [UInt8], by principal: Principal) async throws -> CertificateRecord {
        let request = try Self.parseCSR { try ValidatedCSR(estBase64: body) }
        return try await enroll(try eid ?? Self.eidText(fromSubjectOf: request), request, by: principal)
    }

    /// EST `simplereenroll` (RFC 7030 §4.2.2): renews the device's current certificate, keeping its state.
    ///
    /// The device proves itself with a CSR for the current certificate's key (the REST door is plain HTTP, so
    /// possession of that key stands in for TLS client authentication), or its MNO vouches with its token. An
    /// expired certificate is renewed only within the grace window and only when the MNO vouches. The old
    /// certificate is revoked as superseded in the same transaction.
    public func estReenroll(eid: String?, body: [UInt8], by principal: Principal) async throws -> CertificateRecord {
        let pki = try requirePKI()
        let request = try Self.parseCSR { try ValidatedCSR(estBase64: body) }
        let eidText = try eid ?? Self.eidText(fromSubjectOf: request)
        return try await execute { context in
            let eid = try EID(eidText)
            guard let device = try await context.device(eid), device.state != .deleted else {
                throw RegistryError.notFound("no device \(eid) visible to you")
            }
            let vouched: Bool
            switch principal {
            case .registryOperator: vouched = true
            case .mno(let id) where id == device.mnoID: vouched = true
            case .anonymous: vouched = false
            default: throw RegistryError.notFound("no device \(eid) visible to you")
            }
            guard device.state == .active, let rpid = device.rpid,
                let current = try await self.store.currentCertificate(eid: eid), current.rpid == rpid
            else {
                if !vouched { throw RegistryError.unauthenticated("re-enrolment needs the current certificate's key") }
                throw RegistryError(
                    .invalidTransition,
                    "device \(eid) is \(device.state) and holds no current certificate to renew; "
                        + "enroll with simpleenroll (MNO) after activation")
            }
            let currentKey = try Certificate(derEncoded: current.der).publicKey.subjectPublicKeyInfoDER
            let keyProof = currentKey == request.subjectPublicKeyInfoDER
            guard keyProof || vouched else {
                throw RegistryError.unauthenticated(
                    "re-enrolment needs a CSR signed by the current certificate's key, or the MNO's bearer token")
            }
            if context.now > current.notAfter {
                guard vouched, context.now <= current.notAfter + pki.renewalGrace else {
                    throw RegistryError(
                        .invalidTransition,
                        "the certificate of device \(eid) expired on \(current.notAfter) beyond the renewal grace "
                            + "window (only the MNO may renew within it); re-activate the device")
                }
            }
            var changes = ChangeSet()
            Self.planRevocation(current, reason: .superseded, changes: &changes, context: context)
            let record = try self.planIssue(
                device: device, rpid: rpid, request: request, principal: principal, pki: pki, changes: &changes,
                context: context)
            return (changes, record)
        }
    }

    func enroll(_ eidText: String, _ request: ValidatedCSR, by principal: Principal) async throws
        -> CertificateRecord
    {
        let pki = try requirePKI()
        return try await execute { context in
            let eid = try EID(eidText)
            guard let device = try await context.device(eid), device.state != .deleted, Self.canSee(device, principal)
            else {
                throw RegistryError.notFound("no device \(eid) visible to you")
            }
            switch principal {
            case .registryOperator: break
            case .mno(let id) where id == device.mnoID: break
            default: throw RegistryError.forbidden("only the device's MNO submits its CSR; you are \(principal.role)")
            }
            guard device.state == .active, let rpid = device.rpid else {
                throw RegistryError(
                    .invalidTransition,
                    "device \(eid) is \(device.state); a CSR is accepted only for an active device")
            }
            var changes = ChangeSet()
            if let current = try await self.store.currentCertificate(eid: eid) {
                guard current.rpid != rpid else {
                    throw RegistryError(
                        .invalidTransition,
                        "device \(eid) already holds certificate \(current.serial) for profile \(rpid); renew it "
                            + "with EST simplereenroll, or re-key the device")
                }
                Self.planRevocation(current, reason: .superseded, changes: &changes, context: context)
            }
            let record = try self.planIssue(
                device: device, rpid: rpid, request: request, principal: principal, pki: pki, changes: &changes,
                context: context)
            return (changes, record)
        }
    }

    func planIssue(
        device: Device, rpid: Int64, request: ValidatedCSR, principal: Principal, pki: RegistryPKI,
        changes: inout ChangeSet, context: PlanContext
    ) throws -> CertificateRecord {
        let issuer = try pki.issuer
        let profile = DeviceCertificateProfile(
            publicKey: request.publicKey, rpid: UInt64(max(rpid, 0)), eid: device.eid.digits, zone: pki.zone,
            validity: pki.validity, urls: pki.urls)
        let certificate: Certificate
        do {
            certificate = try profile.issue(by: issuer, now: context.now)
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "the CA could not issue the certificate: \(error.reason)")
        }
        let record = CertificateRecord(
            serial: RegistryPKI.serialHex(certificate.serialNumber.bytes), eid: device.eid, rpid: rpid,
            issuerKeyID: issuer.keyIdentifier.hex, der: certificate.derBytes, notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter)
        changes.certificateInserts.append(record)
        changes.audit.append(
            AuditDraft(
                at: context.now, actor: principal.description, action: "certificate.issue",
                target: "device:\(device.eid)",
                details: Self.details([
                    "serial": record.serial, "rpid": String(rpid), "key": request.keyDescription,
                ])))
        changes.outbox.append(
            OutboxEvent(
                at: context.now, kind: .certificateIssued, eid: device.eid, aspID: device.aspID, rpid: rpid,
                serial: record.serial))
        return record
    }

    static func planRevocation(
        _ certificate: CertificateRecord, reason: CRLReason, changes: inout ChangeSet, context: PlanContext
    ) {
        changes.certificateRevocations.append(
            CertificateRevocation(serial: certificate.serial, revokedAt: context.now, reason: reason.rawValue))
        changes.outbox.append(
            OutboxEvent(
                at: context.now, kind: .certificateRevoked, eid: certificate.eid, rpid: certificate.rpid,
                serial: certificate.serial))
    }

    /// The CRL reason a lifecycle event gives the certificate of the profile it ends.
    static func crlReason(forProfileRevocation reason: String) -> CRLReason {
        switch reason {
        case "deactivate", "delete": .cessationOfOperation
        case "transfer", DeviceEvent.completeTransfer.rawValue: .affiliationChanged
        default: .superseded
        }
    }

    /// `iotreg ca revoke`: the operator revokes one certificate by serial.
    public func revokeCertificate(serial text: String, reason: CRLReason = .unspecified, by principal: Principal)
        async throws -> CertificateRecord
    {
        guard principal == .registryOperator else {
            throw RegistryError.forbidden("only the operator revokes certificates by serial")
        }
        let serial = try RegistryPKI.normalisedSerial(text)
        return try await execute { context in
            guard var record = try await self.store.certificate(serial: serial) else {
                throw RegistryError.notFound("no certificate with serial \(serial) was issued here")
            }
            guard record.status == .active else {
                throw RegistryError(.invalidTransition, "certificate \(serial) is revoked already")
            }
            var changes = ChangeSet()
            Self.planRevocation(record, reason: reason, changes: &changes, context: context)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: principal.description, action: "certificate.revoke",
                    target: "device:\(record.eid)",
                    details: Self.details(["serial": serial, "reason": String(reason.rawValue)])))
            record.status = .revoked
            record.revokedAt = context.now
            record.reason = reason.rawValue
            return (changes, record)
        }
    }

    // MARK: - reads

    /// `GET /v1/devices/{eid}/certificate`: the device's current certificate, for whoever may see the device.
    public func deviceCertificate(_ eidText: String, by principal: Principal) async throws -> CertificateRecord {
        let device = try await device(eidText, by: principal)
        guard let record = try await store.currentCertificate(eid: device.eid) else {
            throw RegistryError.notFound("device \(device.eid) holds no certificate")
        }
        return record
    }

    /// The PEM of a certificate record followed by its issuing CA chain (root excluded).
    public func chainPEM(_ record: CertificateRecord) throws -> String {
        let pki = try requirePKI()
        let leaf = try Certificate(derEncoded: record.der)
        var chain = [leaf]
        if let keyID = KeyIdentifier(text: record.issuerKeyID),
            let issuer = pki.hierarchy.authority(keyIdentifier: keyID), issuer.keyIdentifier != pki.hierarchy.root.keyIdentifier
        {
            chain.append(issuer.certificate)
        }
        return chain.pemString
    }

    /// `GET /.well-known/ca/{AKI}.pem`: a CA certificate by key identifier (hex or dash-joined hex).
    public func caCertificatePEM(keyIdentifier text: String) throws -> String {
        try authority(keyIdentifier: text).certificate.pemString
    }

    /// `GET /crl/{AKI}.crl`: a freshly signed DER CRL of the CA, listing every certificate it revoked.
    public func certificateRevocationList(keyIdentifier text: String) async throws -> CertificateRevocationList {
        let authority = try authority(keyIdentifier: text)
        let revoked = try await store.revokedCertificates(issuerKeyID: authority.keyIdentifier.hex)
        let entries = revoked.map { record in
            CertificateRevocationList.Entry(
                serialNumber: Certificate.SerialNumber(bytes: Self.bytes(hex: record.serial)[...]),
                revocationDate: record.revokedAt ?? now, reason: record.reason.map(CRLReason.init(rawValue:)))
        }
        let time = now
        do {
            return try CertificateRevocationList(
                issuer: authority, revoked: entries, crlNumber: UInt64(max(time.timeIntervalSince1970 * 1000, 0)),
                thisUpdate: time)
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "the CA could not sign its CRL: \(error.reason)")
        }
    }

    /// `POST /ocsp`: answers a DER OCSP request from the certificate table, signed by the issuing CA.
    /// Never throws on bad input: a malformed request gets a signed-less `malformedRequest` OCSP response.
    public func ocspResponse(to requestBytes: [UInt8]) async throws -> [UInt8] {
        let pki = try requirePKI()
        guard let request = try? OCSPRequest(derEncoded: requestBytes) else {
            return pki.responder.respond(to: requestBytes, lookup: { _, _ in .unknown })
        }
        var statuses: [String: OCSPCertStatus] = [:]
        for certID in request.certIDs {
            guard let authority = pki.responder.authority(for: certID) else { continue }
            let serial = RegistryPKI.serialHex(certID.serialNumber.bytes)
            let key = authority.keyIdentifier.hex + "/" + serial
            guard let record = try await store.certificate(serial: serial),
                record.issuerKeyID == authority.keyIdentifier.hex
            else {
                statuses[key] = .unknown
                continue
            }
            statuses[key] =
                record.status == .revoked
                ? .revoked(time: record.revokedAt ?? now, reason: record.reason.map(CRLReason.init(rawValue:)))
                : .good
        }
        let time = now
        do {
            return try pki.responder.respond(to: request, now: time) { keyID, serialNumber in
                statuses[keyID.hex + "/" + RegistryPKI.serialHex(serialNumber.bytes)] ?? .unknown
            }
        } catch {
            return pki.responder.respond(to: [], lookup: { _, _ in .unknown })
        }
    }

    /// EST `cacerts` (RFC 7030 §4.1): the CA certificates as base64 certs-only PKCS#7.
    public func estCACertificates() throws -> String {
        let pki = try requirePKI()
        do {
            return try CertsOnlyPKCS7.estBase64(pki.caCertificates.map(\.certificate))
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "cannot encode the CA certificates: \(error.reason)")
        }
    }

    /// The EST answer for an issued certificate: base64 certs-only PKCS#7 of the certificate.
    public func estCertificateResponse(_ record: CertificateRecord) throws -> String {
        do {
            return try CertsOnlyPKCS7.estBase64([try Certificate(derEncoded: record.der)])
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "cannot encode the certificate: \(error.reason)")
        }
    }

    // MARK: - helpers

    func requirePKI() throws -> RegistryPKI {
        guard let pki else { throw RegistryError(.unavailable, "this registry has no certificate authority loaded") }
        return pki
    }

    func authority(keyIdentifier text: String) throws -> CertificateAuthority {
        let pki = try requirePKI()
        guard let keyID = KeyIdentifier(text: text), let authority = pki.hierarchy.authority(keyIdentifier: keyID)
        else {
            throw RegistryError.notFound(
                "no CA with key identifier '\(text)' here; GET /.well-known/est/cacerts lists them")
        }
        return authority
    }

    static func parseCSR(_ parse: () throws -> ValidatedCSR) throws -> ValidatedCSR {
        do {
            return try parse()
        } catch let error as PKIError {
            throw RegistryError.invalidInput("the CSR was refused (\(error.code)): \(error.reason)")
        } catch {
            throw RegistryError.invalidInput("the CSR was refused: \(error)")
        }
    }

    /// The EID a CSR's subject CN names: the EID itself or `<rpid>.<eid>.<zone>`.
    static func eidText(fromSubjectOf request: ValidatedCSR) throws -> String {
        let subject = String(describing: request.request.subject)
        for part in subject.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("CN=") else { continue }
            let labels = trimmed.dropFirst(3).split(separator: ".")
            if let eid = labels.first(where: { (try? EID(String($0))) != nil }) { return String(eid) }
        }
        throw RegistryError.invalidInput(
            "name the device: add ?eid=<EID> or put the EID in the CSR's subject CN")
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        // A positive INTEGER: a leading 0x00 when the top bit is set.
        if let first = bytes.first, first >= 0x80 { bytes.insert(0, at: 0) }
        return bytes
    }
}
