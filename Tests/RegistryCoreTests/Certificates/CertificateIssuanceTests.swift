import Crypto
import Foundation
import PKI
import RegistryCore
import SwiftASN1
import Testing
import X509

/// Issuance, renewal and revocation tied to the device lifecycle (issue 3), against a real SQLite store.
@Suite struct CertificateIssuanceTests {
    @Test func theMNOGetsACertificateForAnActiveDeviceWithRecordAuditAndOutboxInOneCommit() async throws {
        let world = try await CertificateFixture.world()
        let device = try await world.device(1, in: .active)
        let eid = device.eid.digits
        let key = P256.Signing.PrivateKey()
        let record = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(key), by: world.mno)

        let certificate = try Certificate(derEncoded: record.der)
        #expect(certificate.subject.description == "CN=\(try #require(device.rpid)).\(eid).iotregistry.test")
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(Array(names) == [.dnsName("\(eid)._device.iotregistry.test")])
        #expect(record.status == .good && record.rpid == device.rpid)
        #expect(record.issuerKeyID == (try world.registry.pki?.issuer.keyIdentifier.hex))
        #expect(
            record.spkiSHA256
                == SHA256.hash(data: certificate.subjectPublicKeyInfoDER).map { String(format: "%02x", $0) }.joined())
        #expect(try await world.store.currentCertificate(eid: device.eid) == record)
        #expect(try await world.store.certificate(serial: record.serial) == record)

        let entry = try #require(try await world.audit().last)
        #expect(entry.action == "certificate.issue" && entry.actor == "mno:\(world.mnoA.id)")
        let event = try #require(try await world.outbox().last)
        #expect(event.kind == .certificateIssued && event.eid == device.eid && event.serial == record.serial)
        #expect(event.rpid == device.rpid && event.aspID == world.aspA.id)
        // The device keeps its state; public status shows the certificate's hashes.
        let status = try await world.registry.publicStatus(eid)
        #expect(status.state == .active && status.certificateSHA256 == record.sha256)
        #expect(status.spkiSHA256 == record.spkiSHA256)
        #expect(try await world.registry.deviceCertificate(eid, by: world.asp) == record)
        #expect(try await world.registry.deviceCertificate(eid, by: world.owner) == record)
    }

    @Test func refusalsNameTheReasonAndStoreNothing() async throws {
        let world = try await CertificateFixture.world()
        let registered = try await world.device(1)
        let active = try await world.device(2, in: .active)
        let deactivated = try await world.device(3, in: .deactivated)
        let eids = [registered, active, deactivated].map(\.eid.digits) + [Fixture.eid(99)]
        let before = try await world.snapshot(eids)
        let csr = try CertificateFixture.csr()
        let registry = world.registry

        // A registered device has no profile for a certificate to name: activation comes first.
        let early = await expectRefusal(.invalidTransition) {
            try await registry.submitCSR(eids[0], csr: csr, by: world.mno)
        }
        #expect(early?.reason.contains("registered") == true)
        await expectRefusal(.invalidTransition) { try await registry.submitCSR(eids[2], csr: csr, by: world.mno) }
        await expectRefusal(.notFound) { try await registry.submitCSR(eids[3], csr: csr, by: world.mno) }
        // Another MNO cannot see the device; its ASP and owner can, but CSRs are the MNO's.
        await expectRefusal(.notFound) { try await registry.submitCSR(eids[1], csr: csr, by: world.otherMNO) }
        await expectRefusal(.forbidden) { try await registry.submitCSR(eids[1], csr: csr, by: world.asp) }
        await expectRefusal(.forbidden) { try await registry.submitCSR(eids[1], csr: csr, by: world.owner) }
        await expectRefusal(.notFound) { try await registry.submitCSR(eids[1], csr: csr, by: world.otherASP) }
        // Bad requests: garbage, truncated, a flipped signature bit.
        for bad in [Array("not a csr".utf8), Array(csr.prefix(csr.count - 9)), Self.flipLastBit(csr), []] {
            await expectRefusal(.invalidInput) { try await registry.submitCSR(eids[1], csr: bad, by: world.mno) }
        }
        await expectRefusal(.unauthenticated) {
            try await registry.estEnroll(eid: eids[1], body: try CertificateFixture.estBody(), by: .anonymous)
        }
        await expectRefusal(.invalidTransition) {
            try await registry.estReenroll(
                eid: eids[1], body: try CertificateFixture.estBody(), proof: .principal(world.mno))
        }
        #expect(try await world.snapshot(eids) == before)
    }

    @Test func deactivationRevokesInTheSameTransactionAndCRLAndOCSPSaySo() async throws {
        let world = try await CertificateFixture.world()
        let eid = try await world.device(1, in: .active).eid.digits
        let record = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        let pki = try #require(world.registry.pki)
        let issuer = try pki.issuer
        let request = try OCSPRequest.derEncoded(
            for: try Certificate(derEncoded: record.der), issuer: issuer.certificate)
        #expect(try Self.ocspStatus(try await world.registry.ocspResponse(to: request)) == .good)

        try await world.registry.apply(.deactivate, to: eid, by: world.owner)
        let revoked = try #require(try await world.store.certificate(serial: record.serial))
        #expect(revoked.status == .revoked && revoked.reason == CRLReason.cessationOfOperation.rawValue)
        #expect(try await world.store.currentCertificate(eid: EID(eid)) == nil)
        let events = try await world.outbox().suffix(2).map(\.kind)
        #expect(events == [.certificateRevoked, .deviceDeactivated])
        let crl = try await world.registry.certificateRevocationList(keyIdentifier: issuer.keyIdentifier.hex)
        #expect(crl.entries.map { RegistryPKI.serialHex($0.serialNumber.bytes) } == [record.serial])
        #expect(crl.isSigned(by: issuer.certificate))
        guard case .revoked = try Self.ocspStatus(try await world.registry.ocspResponse(to: request)) else {
            Issue.record("OCSP does not say revoked")
            return
        }
        await expectRefusal(.notFound) { try await world.registry.deviceCertificate(eid, by: world.asp) }
        #expect(try await world.registry.publicStatus(eid).certificateSHA256 == nil)
        // Delete after deactivation revokes nothing twice.
        try await world.registry.apply(.delete, to: eid, by: world.asp)
        #expect(try await world.store.revokedCertificates(issuerKeyID: issuer.keyIdentifier.hex).count == 1)
    }

    @Test func rekeyAndTransferRevokeTheOldProfilesCertificate() async throws {
        let world = try await CertificateFixture.world()
        let eid = try await world.device(1, in: .active).eid.digits
        let first = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        try await world.registry.apply(.rekey, to: eid, by: world.asp)
        #expect(try await world.store.certificate(serial: first.serial)?.reason == CRLReason.superseded.rawValue)
        // The new profile takes a fresh CSR at once.
        let second = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        #expect(second.rpid > first.rpid)

        let code = try await world.registry.issueTransferCode(for: [eid], by: world.owner)
        try await world.registry.requestTransfer(eid, authCode: code.code, by: world.otherASP)
        let old = try #require(try await world.store.certificate(serial: second.serial))
        #expect(old.status == .revoked && old.reason == CRLReason.affiliationChanged.rawValue)
        // The gaining ASP's profile gets the same eSIM key re-certified under its new RPID, in the same transaction.
        let moved = try await world.registry.device(eid, by: world.otherASP)
        let recertified = try #require(try await world.store.currentCertificate(eid: EID(eid)))
        #expect(recertified.serial != second.serial && recertified.rpid == moved.rpid)
        #expect(recertified.spkiSHA256 == second.spkiSHA256)
    }

    @Test func renewalKeepsTheStateWithinTheGraceWindowOnlyWhenTheMNOVouches() async throws {
        let world = try await CertificateFixture.world(validity: 30 * 86_400, grace: 10 * 86_400)
        let eid = try await world.device(1, in: .active).eid.digits
        let deviceKey = P256.Signing.PrivateKey()
        let first = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(deviceKey), by: world.mno)

        // EST re-enrolment with the current certificate as TLS client certificate, with a new key.
        let renewed = try await world.registry.estReenroll(
            eid: nil, body: try CertificateFixture.estBody(), proof: .clientCertificate(first.der))
        #expect(renewed.rpid == first.rpid && renewed.serial != first.serial)
        #expect(try await world.store.certificate(serial: first.serial)?.reason == CRLReason.superseded.rawValue)
        #expect(try await world.registry.device(eid, by: world.asp).state == .active)
        #expect(try await world.audit().last?.action == "certificate.renew")
        #expect(try await world.audit().last?.actor == "device:\(eid)")
        #expect(try await world.outbox().suffix(2).map(\.kind) == [.certificateRevoked, .certificateIssued])
        // The superseded certificate no longer authenticates.
        await expectRefusal(.unauthenticated) {
            try await world.registry.estReenroll(
                eid: nil, body: try CertificateFixture.estBody(), proof: .clientCertificate(first.der))
        }

        // Offline past expiry: the device alone may not renew; its MNO may, within the grace window.
        world.clock.advance(31 * 86_400)
        let before = try await world.snapshot([eid])
        await expectRefusal(.unauthenticated) {
            try await world.registry.estReenroll(
                eid: nil, body: try CertificateFixture.estBody(), proof: .clientCertificate(renewed.der))
        }
        #expect(try await world.snapshot([eid]) == before)
        let late = try await world.registry.estReenroll(
            eid: eid, body: try CertificateFixture.estBody(), proof: .principal(world.mno))
        #expect(late.notAfter > world.clock.now)

        // Beyond the grace window: refused with the way out.
        world.clock.advance(41 * 86_400)
        let refusal = await expectRefusal(.invalidTransition) {
            try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        }
        #expect(refusal?.reason.contains("grace") == true)
        #expect(try await world.store.currentCertificate(eid: EID(eid)) == late)
    }

    @Test func theOperatorRevokesBySerialOnce() async throws {
        let world = try await CertificateFixture.world()
        let eid = try await world.device(1, in: .active).eid.digits
        let record = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        await expectRefusal(.forbidden) {
            try await world.registry.revokeCertificate(serial: record.serial, by: world.asp)
        }
        let colons = stride(from: 0, to: record.serial.count, by: 2).map {
            let start = record.serial.index(record.serial.startIndex, offsetBy: $0)
            return String(record.serial[start..<record.serial.index(start, offsetBy: 2)]).uppercased()
        }.joined(separator: ":")
        let revoked = try await world.registry.revokeCertificate(
            serial: colons, reason: .keyCompromise, by: .registryOperator)
        #expect(revoked.status == .revoked && revoked.reason == 1)
        await expectRefusal(.invalidTransition) {
            try await world.registry.revokeCertificate(serial: record.serial, by: .registryOperator)
        }
        await expectRefusal(.notFound) {
            try await world.registry.revokeCertificate(serial: "0abc", by: .registryOperator)
        }
        await expectRefusal(.invalidInput) {
            try await world.registry.revokeCertificate(serial: "xyz", by: .registryOperator)
        }
        // The device stays active; its MNO may submit a new CSR for the same profile.
        let fresh = try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        #expect(fresh.rpid == record.rpid)
    }

    @Test func withoutACAEveryCertificateUseCaseSaysUnavailable() async throws {
        let world = try await World.make()
        let eid = try await world.device(1, in: .active).eid.digits
        await expectRefusal(.unavailable) {
            try await world.registry.submitCSR(eid, csr: try CertificateFixture.csr(), by: world.mno)
        }
    }

    // MARK: - helpers

    static func flipLastBit(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        copy[copy.count - 1] ^= 0x01
        return copy
    }

    static func ocspStatus(_ der: [UInt8]) throws -> OCSPCertStatus {
        let response = try OCSPResponse(derEncoded: der)
        return try #require(response.responses.first).status
    }
}
