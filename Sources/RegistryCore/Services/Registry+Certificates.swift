import Crypto
public import Foundation
public import PKI
import SwiftASN1
import X509

/// How a caller proves it may have a device's certificate (re)issued.
///
/// Why a type: the same issuance rules serve four doors (`POST /v1/devices/{eid}/csr`, EST `simpleenroll`, EST
/// `simplereenroll` over mutual TLS, the CLI); each door says what it saw, and the core alone decides.
public enum EnrolmentProof: Sendable, Hashable {
    /// A bearer token: the device's MNO vouches for it (or the operator acts).
    case principal(Principal)
    /// The TLS client certificate (DER) the device presented on an EST mutual-TLS connection.
    case clientCertificate([UInt8])
}

extension Registry {
    // MARK: - issuance

    /// `POST /v1/devices/{eid}/csr`: the device's MNO submits its CSR (PEM or DER); answers the issued certificate.
    ///
    /// Rules (DESIGN.md step 4, issue 3):
    /// - only the device's MNO (or the operator); the ASP and owner get `forbidden`, other tenants `notFound`;
    /// - only for a device with a live profile (`active`, or `transfer-pending` for renewals). A `registered`
    ///   device gets `invalidTransition`: its certificate names its profile (`CN=<rpid>.<eid>.<zone>`), and the
    ///   profile is minted by activation, which is the ASP's decision, not the MNO's;
    /// - when the current profile has no certificate yet, this is the first issuance; when it has one, the MNO is
    ///   vouching for a renewal: allowed until the certificate's expiry plus the grace window, after which the
    ///   device must be deactivated and activated again (a new profile).
    ///
    /// The certificate record, the revocation of the superseded certificate, the audit entry and the outbox events
    /// (`certificate.revoked`, then `certificate.issued`) commit in one transaction; a refusal writes nothing.
    public func submitCSR(_ eidText: String, csr: [UInt8], by principal: Principal) async throws -> CertificateRecord {
        let request = try Self.parseCSR { try ValidatedCSR(pemOrDER: csr) }
        return try await enroll(eidText: eidText, request: request, proof: .principal(principal), renewalOnly: false)
    }

    /// EST `simpleenroll` (RFC 7030 §4.2.1) as bootstrap: the MNO's bearer token authenticates, as for
    /// ``submitCSR(_:csr:by:)``. The device is named by `eid` (the `?eid=` query) or the CSR's subject CN (the EID
    /// itself, or `<rpid>.<eid>.<zone>`).
    public func estEnroll(eid: String?, body: [UInt8], by principal: Principal) async throws -> CertificateRecord {
        guard principal != .anonymous else {
            throw RegistryError.unauthenticated(
                "EST simpleenroll needs the MNO's bearer token (Authorization: Bearer …)")
        }
        let request = try Self.parseCSR { try ValidatedCSR(estBase64: body) }
        let eidText = try eid ?? Self.eidText(fromSubjectOf: request)
        return try await enroll(eidText: eidText, request: request, proof: .principal(principal), renewalOnly: false)
    }

    /// EST `simplereenroll` (RFC 7030 §4.2.2): renews the device's current certificate, keeping its state.
    ///
    /// The device proves itself with its current certificate as TLS client certificate (the EST listener), and may
    /// send a new key; or its MNO vouches with its bearer token. An expired certificate is renewed only within
    /// ``RegistryPKI/renewalGrace`` and only when the MNO vouches. The old certificate is revoked (superseded) in
    /// the same transaction.
    public func estReenroll(eid: String?, body: [UInt8], proof: EnrolmentProof) async throws -> CertificateRecord {
        if case .principal(.anonymous) = proof {
            throw RegistryError.unauthenticated(
                "EST simplereenroll needs the current certificate as TLS client certificate (EST listener) or the "
                    + "MNO's bearer token")
        }
        let request = try Self.parseCSR { try ValidatedCSR(estBase64: body) }
        let eidText: String
        if case .clientCertificate(let der) = proof {
            eidText = try await presentedCertificate(der).eid.digits
            if let eid, eid != eidText {
                throw RegistryError.forbidden("the client certificate names device \(eidText), not \(eid)")
            }
        } else {
            eidText = try eid ?? Self.eidText(fromSubjectOf: request)
        }
        return try await enroll(eidText: eidText, request: request, proof: proof, renewalOnly: true)
    }

    /// The good certificate record a TLS client presented, or `unauthenticated`.
    func presentedCertificate(_ der: [UInt8]) async throws -> CertificateRecord {
        guard let certificate = try? Certificate(derEncoded: der),
            let record = try await store.certificate(serial: RegistryPKI.serialHex(certificate.serialNumber.bytes)),
            record.der == der
        else {
            throw RegistryError.unauthenticated("the TLS client certificate was not issued by this registry")
        }
        guard record.status == .good else {
            throw RegistryError.unauthenticated(
                "the TLS client certificate \(record.serial) is revoked; ask the MNO to submit a new CSR")
        }
        return record
    }

    func enroll(eidText: String, request: ValidatedCSR, proof: EnrolmentProof, renewalOnly: Bool) async throws
        -> CertificateRecord
    {
        try await execute { context in
            try await self.planEnroll(
                eidText: eidText, request: request, proof: proof, renewalOnly: renewalOnly, context: context)
        }
    }

    /// Plans an issuance or renewal (see ``enroll(eidText:request:proof:renewalOnly:)``) inside a larger change:
    /// the MNO channel answers a `generate-key` task with it, in the task's transaction.
    func planEnroll(
        eidText: String, request: ValidatedCSR, proof: EnrolmentProof, renewalOnly: Bool, context: PlanContext
    ) async throws -> (ChangeSet, CertificateRecord) {
        let pki = try requirePKI()
        do {
            let eid = try EID(eidText)
            let principal: Principal
            switch proof {
            case .principal(let caller): principal = caller
            case .clientCertificate: principal = .anonymous
            }
            guard let device = try await context.device(eid), device.state != .deleted,
                Self.canSee(device, principal) || principal == .anonymous
            else {
                throw RegistryError.notFound("no device \(eid) visible to you")
            }
            var presented: CertificateRecord?
            switch proof {
            case .principal(.registryOperator): break
            case .principal(.mno(let id)) where id == device.mnoID: break
            case .principal(let caller):
                throw RegistryError.forbidden("only the device's MNO submits its CSR; you are \(caller.role)")
            case .clientCertificate(let der):
                presented = try await self.presentedCertificate(der)
            }
            guard [.active, .transferPending].contains(device.state), let rpid = device.rpid else {
                throw RegistryError(
                    .invalidTransition,
                    "device \(eid) is \(device.state); a certificate is issued only for an active device (activation "
                        + "mints the profile it names)")
            }
            let current = try await self.store.currentCertificate(eid: eid)
            if let presented, presented.serial != current?.serial {
                throw RegistryError.unauthenticated(
                    "the TLS client certificate \(presented.serial) is not device \(eid)'s current certificate")
            }
            var changes = ChangeSet()
            var action = "certificate.issue"
            if let current {
                if current.rpid == rpid {
                    try Self.checkRenewal(of: current, vouched: presented == nil, pki: pki, now: context.now)
                    action = "certificate.renew"
                }
                Self.planRevocation(
                    current, reason: .superseded, aspID: device.aspID, changes: &changes, context: context)
            } else if renewalOnly {
                throw RegistryError(
                    .invalidTransition,
                    "device \(eid) holds no certificate to renew; its MNO enrols it (POST /v1/devices/\(eid)/csr or "
                        + "EST simpleenroll)")
            } else if device.state != .active {
                throw RegistryError(
                    .invalidTransition, "device \(eid) is \(device.state); a first certificate waits for the transfer")
            }
            let record = try self.planIssue(
                device: device, rpid: rpid, key: IssuedKey(request),
                actor: presented.map { _ in "device:\(eid)" }
                    ?? principal.description, action: action, pki: pki, changes: &changes, context: context)
            return (changes, record)
        }
    }

    /// Refuses the renewal of `current` when it expired beyond the grace window, or expired and nobody vouches.
    static func checkRenewal(of current: CertificateRecord, vouched: Bool, pki: RegistryPKI, now: Date) throws {
        guard now > current.notAfter else { return }
        let deadline = current.notAfter + pki.renewalGrace
        guard now <= deadline else {
            throw RegistryError(
                .invalidTransition,
                "certificate \(current.serial) of device \(current.eid) expired at \(ISO8601.string(current.notAfter)), "
                    + "beyond the \(Int(pki.renewalGrace / 86_400))-day renewal grace window; deactivate and activate "
                    + "the device again to give it a new profile")
        }
        guard vouched else {
            throw RegistryError.unauthenticated(
                "certificate \(current.serial) expired at \(ISO8601.string(current.notAfter)); within the grace window "
                    + "(until \(ISO8601.string(deadline))) only the device's MNO may renew it")
        }
    }

    /// The public key a certificate is issued for: from a CSR (proof of possession checked), or from the device's
    /// previous certificate when a transfer re-certifies the same eSIM key under the new profile.
    struct IssuedKey {
        var publicKey: Certificate.PublicKey
        var description: String
        var spkiSHA256: [UInt8]

        init(_ request: ValidatedCSR) {
            publicKey = request.publicKey
            description = request.keyDescription
            spkiSHA256 = request.subjectPublicKeyInfoSHA256
        }

        init(certificateDER der: [UInt8]) throws {
            let certificate = try Certificate(derEncoded: der)
            publicKey = certificate.publicKey
            description = "the key of the previous certificate"
            var serializer = DER.Serializer()
            try serializer.serialize(certificate.publicKey)
            spkiSHA256 = Array(SHA256.hash(data: serializer.serializedBytes))
        }
    }

    func planIssue(
        device: Device, rpid: Int64, key: IssuedKey, actor: String, action: String, pki: RegistryPKI,
        touchDevice: Bool = true, changes: inout ChangeSet, context: PlanContext
    ) throws -> CertificateRecord {
        let issuer = try pki.issuer
        let profile = DeviceCertificateProfile(
            publicKey: key.publicKey, rpid: UInt64(max(rpid, 0)), eid: device.eid.digits, zone: pki.zone,
            validity: pki.validity, urls: pki.urls)
        let certificate: Certificate
        do {
            certificate = try profile.issue(by: issuer, now: context.now)
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "the CA could not issue the certificate: \(error.reason)")
        }
        let record = CertificateRecord(
            serial: RegistryPKI.serialHex(certificate.serialNumber.bytes), eid: device.eid, rpid: rpid,
            issuerKeyID: issuer.keyIdentifier.hex, spkiSHA256: Self.hex(key.spkiSHA256),
            der: certificate.derBytes, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter)
        changes.certificateInserts.append(record)
        // The device row's version moves too, so a lifecycle change planned concurrently (which would revoke the
        // device's certificates) conflicts and re-plans instead of missing this certificate.
        if touchDevice {
            var touched = device
            touched.updatedAt = context.now
            touched.version += 1
            context.record(touched)
            changes.deviceUpdates.append(touched)
        }
        changes.audit.append(
            AuditDraft(
                at: context.now, actor: actor, action: action, target: "device:\(device.eid)",
                details: Self.details([
                    "serial": record.serial, "rpid": String(rpid), "key": key.description,
                    "spkiSHA256": record.spkiSHA256, "notAfter": record.notAfter.formatted(.iso8601),
                ])))
        changes.outbox.append(
            OutboxEvent(
                at: context.now, kind: .certificateIssued, eid: device.eid, aspID: device.aspID, rpid: rpid,
                serial: record.serial))
        return record
    }

    /// Plans the revocation of `certificate`: the store flips it to revoked (only if still good) and an outbox
    /// `certificate.revoked` event tells the zone publisher to withdraw its names.
    static func planRevocation(
        _ certificate: CertificateRecord, reason: CRLReason, aspID: String?, changes: inout ChangeSet,
        context: PlanContext
    ) {
        guard !changes.certificateRevocations.contains(where: { $0.serial == certificate.serial }) else { return }
        changes.certificateRevocations.append(
            CertificateRevocation(serial: certificate.serial, revokedAt: context.now, reason: reason.rawValue))
        changes.outbox.append(
            OutboxEvent(
                at: context.now, kind: .certificateRevoked, eid: certificate.eid, aspID: aspID, rpid: certificate.rpid,
                serial: certificate.serial))
    }

    /// Revokes the device's good certificate, if any, because a lifecycle event ends its profile.
    func planCertificateRevocation(
        for device: Device, event reason: String, changes: inout ChangeSet, context: PlanContext
    ) async throws {
        guard let certificate = try await context.currentCertificate(device.eid) else { return }
        Self.planRevocation(
            certificate, reason: Self.crlReason(forProfileRevocation: reason), aspID: device.aspID, changes: &changes,
            context: context)
    }

    /// The CRL reason a lifecycle event gives the certificate of the profile it ends.
    static func crlReason(forProfileRevocation reason: String) -> CRLReason {
        switch reason {
        case DeviceEvent.deactivate.rawValue, DeviceEvent.delete.rawValue: .cessationOfOperation
        case "transfer", DeviceEvent.completeTransfer.rawValue: .affiliationChanged
        default: .superseded
        }
    }

    /// `iotreg ca revoke`: the operator revokes one certificate by serial (hex, colons and `0x` allowed).
    ///
    /// The device keeps its state and profile; its MNO may then submit a new CSR for the same profile.
    public func revokeCertificate(serial text: String, reason: CRLReason = .unspecified, by principal: Principal)
        async throws -> CertificateRecord
    {
        guard principal == .registryOperator else {
            throw RegistryError.forbidden("only the operator revokes certificates by serial")
        }
        let serial = try RegistryPKI.normalisedSerial(text)
        guard (0...10).contains(reason.rawValue), reason.rawValue != 7 else {
            throw RegistryError.invalidInput("CRL reason \(reason.rawValue) is not an RFC 5280 CRLReason (0-6, 8-10)")
        }
        return try await execute { context in
            guard var record = try await self.store.certificate(serial: serial) else {
                throw RegistryError.notFound("no certificate with serial \(serial) was issued here")
            }
            guard record.status == .good else {
                throw RegistryError(.invalidTransition, "certificate \(serial) is revoked already")
            }
            var changes = ChangeSet()
            if var device = try await context.device(record.eid) {
                device.updatedAt = context.now
                device.version += 1
                context.record(device)
                changes.deviceUpdates.append(device)
            }
            Self.planRevocation(
                record, reason: reason, aspID: try await context.device(record.eid)?.aspID, changes: &changes,
                context: context)
            changes.audit.append(
                AuditDraft(
                    at: context.now, actor: principal.description, action: "certificate.revoke",
                    target: "device:\(record.eid)",
                    details: Self.details(["serial": serial, "reason": reason.description])))
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
            throw RegistryError.notFound(
                "device \(device.eid) holds no certificate (it is \(device.state); its MNO submits a CSR once active)")
        }
        return record
    }

    /// The PEM of a certificate record followed by its issuing CA (the root is the trust anchor, not sent).
    public func chainPEM(_ record: CertificateRecord) throws -> String {
        let pki = try requirePKI()
        let leaf = try Certificate(derEncoded: record.der)
        var chain = [leaf]
        if let keyID = KeyIdentifier(text: record.issuerKeyID),
            let issuer = pki.hierarchy.authority(keyIdentifier: keyID),
            issuer.keyIdentifier != pki.hierarchy.root.keyIdentifier
        {
            chain.append(issuer.certificate)
        }
        return chain.pemString
    }

    /// `GET /.well-known/ca/{AKI}.pem`: a CA certificate by key identifier (hex or dash-joined hex).
    public func caCertificatePEM(keyIdentifier text: String) throws -> String {
        try authority(keyIdentifier: text).certificate.pemString + "\n"
    }

    /// `GET /crl/{AKI}.crl`: a freshly signed DER CRL of the CA, listing every certificate it revoked.
    public func certificateRevocationList(keyIdentifier text: String) async throws -> CertificateRevocationList {
        let authority = try authority(keyIdentifier: text)
        let revoked = try await store.revokedCertificates(issuerKeyID: authority.keyIdentifier.hex)
        let time = now
        let entries = revoked.map { record in
            CertificateRevocationList.Entry(
                serialNumber: Certificate.SerialNumber(bytes: Self.serialBytes(hex: record.serial)[...]),
                revocationDate: record.revokedAt ?? time, reason: record.reason.map(CRLReason.init(rawValue:)))
        }
        do {
            // The CRL number only grows: milliseconds since 1970 (RFC 5280 §5.2.3 wants it monotonic per issuer).
            return try CertificateRevocationList(
                issuer: authority, revoked: entries, crlNumber: UInt64(max(time.timeIntervalSince1970 * 1000, 0)),
                thisUpdate: time)
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "the CA could not sign its CRL: \(error.reason)")
        }
    }

    /// `POST /ocsp`: answers a DER OCSP request (RFC 6960) from the certificate table, signed by the issuing CA.
    /// Never throws on bad input: a malformed request gets an unsigned `malformedRequest` OCSP response.
    public func ocspResponse(to requestBytes: [UInt8]) async throws -> [UInt8] {
        let pki = try requirePKI()
        guard let request = try? OCSPRequest(derEncoded: requestBytes) else {
            return pki.responder.respond(to: requestBytes, lookup: { _, _ in .unknown })
        }
        var statuses: [String: OCSPCertStatus] = [:]
        let time = now
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
                ? .revoked(time: record.revokedAt ?? time, reason: record.reason.map(CRLReason.init(rawValue:)))
                : .good
        }
        return pki.responder.respond(to: requestBytes, now: time) { keyID, serialNumber in
            statuses[keyID.hex + "/" + RegistryPKI.serialHex(serialNumber.bytes)] ?? .unknown
        }
    }

    /// EST `cacerts` (RFC 7030 §4.1): the CA certificates as base64 certs-only PKCS#7.
    public func estCACertificates() throws -> String {
        let pki = try requirePKI()
        do {
            return Self.base64Lines(try CertsOnlyPKCS7.derEncoded(pki.caCertificates.map(\.certificate)))
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "cannot encode the CA certificates: \(error.reason)")
        }
    }

    /// The EST answer for an issued certificate: base64 certs-only PKCS#7 of the certificate.
    public func estCertificateResponse(_ record: CertificateRecord) throws -> String {
        do {
            return Self.base64Lines(try CertsOnlyPKCS7.derEncoded([try Certificate(derEncoded: record.der)]))
        } catch let error as PKIError {
            throw RegistryError(.unavailable, "cannot encode the certificate: \(error.reason)")
        }
    }

    // MARK: - helpers

    /// Base64 in 64-character lines ended by LF: RFC 7030 §4.1.3 bodies that `base64 -d` (GNU coreutils, which
    /// stops at a CR) and `openssl base64 -d` both read.
    static func base64Lines(_ der: [UInt8]) -> String {
        let text = Data(der).base64EncodedString()
        var lines: [Substring] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: 64, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(text[start..<end])
            start = end
        }
        return lines.joined(separator: "\n") + "\n"
    }

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
        for rdn in request.request.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                let text = String(describing: attribute.value)
                if let eid = text.split(separator: ".").first(where: { (try? EID(String($0))) != nil }) {
                    return String(eid)
                }
            }
        }
        throw RegistryError.invalidInput("name the device: add ?eid=<EID> or put the EID in the CSR's subject CN")
    }

    /// Lowercase hex; a table lookup (String(format:) costs microseconds per byte on Linux, on every issuance).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A serial's DER INTEGER content octets from its hex form (a leading 0x00 when the top bit is set).
    static func serialBytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        if let first = bytes.first, first >= 0x80 { bytes.insert(0, at: 0) }
        return bytes
    }
}
