public import Crypto
import DeviceKit
import Foundation
import SwiftASN1
public import X509

extension SimulatedESIM {
    /// What a key-generation round yields: everything the registry needs, nothing secret.
    public struct KeyRequest: Hashable, Sendable {
        /// The PKCS#10 CSR (PEM), signed inside the applet by the new key.
        public var csrPEM: String
        /// The same CSR, DER.
        public var csrDER: [UInt8]
        /// The key-agreement container's public key: the 65-byte X9.63 uncompressed P-256 point.
        public var keyAgreementPublicKey: [UInt8]
        /// The signature container the new key was generated in (1 or 2).
        public var signatureKeyID: UInt8
    }

    /// The two signature containers.
    static let signatureContainers = [IoTSafePersonalisation.clientKeyID, IoTSafePersonalisation.spareKeyID]

    /// Generates a new signature key in the container not in use, a key-agreement key if none exists yet, and a CSR.
    ///
    /// The active key (the one the held client certificate names) is left alone, so the device keeps its identity
    /// until a payload naming the new key is accepted. Before the first payload, container 1 is used.
    ///
    /// - Throws: `DeviceKitError` from the applet (status words) or the CSR builder.
    public func makeKeyAndCSR() throws -> KeyRequest {
        let active = try activeSignatureContainer()
        let target =
            active == IoTSafePersonalisation.clientKeyID
            ? IoTSafePersonalisation.spareKeyID : IoTSafePersonalisation.clientKeyID
        _ = try client.generateKeyPair(in: target)
        let keyAgreementID = IoTSafePersonalisation.keyAgreementKeyID
        let keyAgreement: [UInt8]
        if let existing = try? client.readPublicKey(keyAgreementID) {
            keyAgreement = existing
        } else {
            keyAgreement = try client.generateKeyPair(in: keyAgreementID)
        }
        let subject = try DistinguishedName { CommonName(eid) }
        let csr = try client.certificateSigningRequest(subject: subject, keyID: target)
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return KeyRequest(
            csrPEM: try csr.serializeAsPEM().pemString,
            csrDER: serializer.serializedBytes,
            keyAgreementPublicKey: keyAgreement,
            signatureKeyID: target
        )
    }

    /// Stores the certificate the registry issued for a key of this eSIM (file 0x21), until a payload names it.
    ///
    /// A certificate for the already active key is accepted too (a re-issue), and changes nothing.
    ///
    /// - Throws: `DeviceKitError` `certificateKeyMismatch` when the certificate is for neither signature key.
    public func install(certificate: Certificate) throws {
        guard let keyID = try signatureContainer(holding: certificate.publicKey) else {
            throw DeviceKitError(
                .certificateKeyMismatch,
                "the certificate '\(certificate.subject)' is not for a signature key of eSIM \(eid); re-run the CSR step"
            )
        }
        guard keyID != (try activeSignatureContainer()) else { return }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        try applet.writeFiles([Self.pendingCertificateFileID: serializer.serializedBytes])
    }

    /// ``install(certificate:)`` from PEM (the first certificate of the text: the leaf).
    public func install(certificatePEM: String) throws {
        let certificate: Certificate
        do {
            guard let first = try PEMDocument.parseMultiple(pemString: certificatePEM).first else {
                throw DeviceKitError(.malformedPayload, "the registry's certificate PEM holds no certificate")
            }
            certificate = try Certificate(pemDocument: first)
        } catch let error as DeviceKitError {
            throw error
        } catch {
            throw DeviceKitError(.malformedPayload, "the registry's certificate PEM does not parse: \(error)")
        }
        try install(certificate: certificate)
    }

    /// The signature container whose key the held client certificate (file 2) names; nil before the first payload.
    public func activeSignatureContainer() throws -> UInt8? {
        let der = try client.readFile(FileID.clientCertificate)
        guard !der.isEmpty, let certificate = try? Certificate(derEncoded: der) else { return nil }
        return try signatureContainer(holding: certificate.publicKey)
    }

    /// The certificate issued for the newly generated key, waiting for a payload that names it.
    public func pendingCertificate() throws -> Certificate? {
        let der = try client.readFile(Self.pendingCertificateFileID)
        guard !der.isEmpty else { return nil }
        return try? Certificate(derEncoded: der)
    }

    /// The public key of signature container `id` (nil when it holds no key yet).
    public func signingPublicKey(_ id: UInt8) -> P256.Signing.PublicKey? {
        try? client.signingPublicKey(id)
    }

    /// The key-agreement public key (nil when none has been generated yet).
    public func keyAgreementPublicKey() -> P256.KeyAgreement.PublicKey? {
        try? IoTSafeKeyAgreement(client: client).publicKey
    }

    func signatureContainer(holding publicKey: Certificate.PublicKey) throws -> UInt8? {
        for id in Self.signatureContainers {
            if let key = try? client.signingPublicKey(id), Certificate.PublicKey(key) == publicKey { return id }
        }
        return nil
    }
}
