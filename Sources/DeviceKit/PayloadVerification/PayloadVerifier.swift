public import Crypto
public import Foundation
public import Payload
import SwiftASN1
@_spi(FixedExpiryValidationTime) public import X509

/// The device's gatekeeper for Registry Payloads delivered over the air.
///
/// A payload changes where the device connects and whom it trusts, so it is accepted only when: its COSE_Sign1
/// signature verifies with the leaf of its x5chain; that chain leads to the registry root the device already holds;
/// it names this device's EID; it is not expired; its sequence number is above the last accepted one (no replay or
/// rollback); its registry root is the one held; its device certificate chains to that root and is for the eSIM's
/// own client key; and the seed-layout signatures (when present) verify with the issuing CA. Each refusal is a
/// ``DeviceKitError`` with its own code.
public struct PayloadVerifier: Sendable {
    /// This device's EID.
    public var eid: String
    /// The registry root certificate the device holds (pre-provisioned), the anchor for every chain.
    public var registryRoot: Certificate
    /// Tolerance for a payload issued slightly in the future (device clocks drift).
    public var clockSkew: TimeInterval
    /// Limits for the CBOR of the delivered message.
    public var decoder: CBORDecoder

    /// Makes a verifier for device `eid` anchored at `registryRoot`.
    public init(
        eid: String,
        registryRoot: Certificate,
        clockSkew: TimeInterval = 300,
        decoder: CBORDecoder = CBORDecoder(maxSize: 32 * 1024)
    ) {
        self.eid = eid
        self.registryRoot = registryRoot
        self.clockSkew = clockSkew
        self.decoder = decoder
    }

    /// What an accepted payload yields.
    public struct Accepted: Sendable, CustomStringConvertible {
        /// The verified payload.
        public var payload: RegistryPayload
        /// The certificate that signed it.
        public var signer: Certificate
        /// The opened Wi-Fi passphrase, when the payload carries Wi-Fi credentials (never printed).
        public var wifiPassphrase: String?

        public var description: String {
            "Accepted(sequence: \(payload.sequence), eid: \(payload.device.eid), wifi: \(wifiPassphrase == nil ? "no" : "sealed"))"
        }
    }

    /// Verifies a delivered payload without side effects.
    ///
    /// - Parameters:
    ///   - signedPayload: the COSE_Sign1 bytes as delivered.
    ///   - lastSequence: the sequence of the last accepted payload (nil when none).
    ///   - clientKey: the eSIM's client key; the payload's device certificate must be for it (nil skips the check).
    ///   - now: the time to judge validity at.
    /// - Returns: the payload and its signer.
    public func verify(
        _ signedPayload: [UInt8],
        lastSequence: UInt64?,
        clientKey: P256.Signing.PublicKey?,
        now: Date = Date()
    ) async throws -> (payload: RegistryPayload, signer: Certificate) {
        let message: COSESign1
        do {
            message = try COSESign1(decoding: signedPayload, decoder: decoder)
        } catch {
            throw DeviceKitError(.malformedPayload, "the delivered payload is not a COSE_Sign1: \(error)")
        }
        // 1. Signer chain up to the held root, then the signature with the signer's key.
        guard let chain = message.protected.x5chain, !chain.isEmpty else {
            throw DeviceKitError(
                .untrustedSigner, "the payload has no x5chain; the registry must include its certificate")
        }
        let certificates: [Certificate]
        do {
            certificates = try chain.map { try Certificate(derEncoded: $0) }
        } catch {
            throw DeviceKitError(.untrustedSigner, "an x5chain certificate does not parse: \(error)")
        }
        let signer = certificates[0]
        guard await chains(signer, intermediates: Array(certificates.dropFirst()), at: now) else {
            throw DeviceKitError(
                .untrustedSigner,
                "the payload signer '\(signer.subject)' does not chain to the registry root this device holds"
            )
        }
        guard let signerKey = P256.Signing.PublicKey(signer.publicKey) else {
            throw DeviceKitError(.untrustedSigner, "the payload signer's key is not P-256 (ES256 requires it)")
        }
        do {
            try message.verify(publicKey: signerKey)
        } catch {
            throw DeviceKitError(.badSignature, "the payload's COSE signature does not verify: \(error)")
        }
        // 2. Contents.
        let payload: RegistryPayload
        do {
            payload = try RegistryPayload(decoding: message.payload ?? [])
        } catch let error as PayloadError where error.code == .unsupportedVersion {
            throw DeviceKitError(.unsupportedVersion, error.reason)
        } catch {
            throw DeviceKitError(.malformedPayload, "the signed content is not a Registry Payload: \(error)")
        }
        guard payload.device.eid == eid else {
            throw DeviceKitError(.wrongDevice, "the payload is for EID \(payload.device.eid), this device is \(eid)")
        }
        guard now <= payload.notAfter else {
            throw DeviceKitError(
                .expired, "the payload expired at \(payload.notAfter); ask the registry for a fresh one")
        }
        guard payload.issuedAt <= now.addingTimeInterval(clockSkew) else {
            throw DeviceKitError(.notYetValid, "the payload is issued at \(payload.issuedAt), after now (\(now))")
        }
        if let lastSequence, payload.sequence <= lastSequence {
            throw DeviceKitError(
                .rollback,
                "payload sequence \(payload.sequence) is not above the accepted \(lastSequence) (replay or rollback)"
            )
        }
        guard payload.registryRoot == Self.der(registryRoot) else {
            throw DeviceKitError(
                .rootMismatch, "the payload carries a registry root other than the one this device holds")
        }
        // 3. The device certificate: chains to the root through its issuing CA, and is for the eSIM's key.
        let deviceCertificate: Certificate
        let issuingCA: Certificate
        do {
            deviceCertificate = try Certificate(derEncoded: payload.device.certificate)
            issuingCA = try Certificate(derEncoded: payload.device.issuingCA)
        } catch {
            throw DeviceKitError(.untrustedDeviceCertificate, "the device or issuing CA certificate does not parse")
        }
        guard await chains(deviceCertificate, intermediates: [issuingCA], at: now) else {
            throw DeviceKitError(
                .untrustedDeviceCertificate,
                "the device certificate does not chain through its issuing CA to the registry root"
            )
        }
        if let clientKey, deviceCertificate.publicKey != Certificate.PublicKey(clientKey) {
            throw DeviceKitError(
                .certificateKeyMismatch,
                "the payload's device certificate is not for this eSIM's client key (container 1); re-run the CSR step"
            )
        }
        // 4. Seed-layout signatures, made by the issuing CA.
        if let seed = payload.seedSignatures {
            guard let caKey = P256.Signing.PublicKey(issuingCA.publicKey) else {
                throw DeviceKitError(.seedSignatureInvalid, "the issuing CA key is not P-256")
            }
            let checks: [([UInt8], [UInt8], String)] = [
                (seed.endpointSignature, payload.asp.seedEndpointJSON, "endpoint JSON"),
                (seed.aspCertificateSignature, payload.asp.certificate ?? [], "ASP certificate"),
            ]
            for (der, data, what) in checks {
                guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: der),
                    caKey.isValidSignature(signature, for: data)
                else {
                    throw DeviceKitError(
                        .seedSignatureInvalid, "the issuing CA's signature over the \(what) is invalid")
                }
            }
        }
        return (payload, signer)
    }

    /// Verifies a delivered payload against the eSIM's state and, when accepted, stores it in the eSIM's files.
    ///
    /// The last accepted sequence is read from the payload file (0x20), the client key from container 1; the Wi-Fi
    /// secret is opened with the eSIM's COMPUTE DH; the files of ``SeedContainerLayout`` are written all at once.
    ///
    /// The anti-rollback record is the stored payload itself, written only through the MNO's remote file management;
    /// a stored file that no longer parses counts as "none accepted yet" (the eSIM offers no monotonic counter).
    ///
    /// - Throws: ``DeviceKitError`` naming the first check that failed; nothing is written then.
    public func accept(
        _ signedPayload: [UInt8],
        client: IoTSafeClient,
        writer: some IoTSafeFileWriter,
        now: Date = Date()
    ) async throws -> Accepted {
        let stored = try client.readFile(IoTSafePersonalisation.FileID.registryPayload)
        let lastSequence: UInt64? = stored.isEmpty ? nil : try? lastAcceptedSequence(stored)
        let clientKey = try client.signingPublicKey(IoTSafePersonalisation.clientKeyID)
        let (payload, signer) = try await verify(
            signedPayload,
            lastSequence: lastSequence,
            clientKey: clientKey,
            now: now
        )
        var passphrase: String?
        if let wifi = payload.wifi {
            do {
                passphrase = try wifi.openPassphrase(using: IoTSafeKeyAgreement(client: client), eid: eid)
            } catch {
                throw DeviceKitError(
                    .decryptionFailed,
                    "the Wi-Fi secret does not open with this eSIM's key-agreement key (sealed to another key?)"
                )
            }
        }
        try writer.writeFiles(SeedContainerLayout.files(for: payload, signedPayload: signedPayload))
        return Accepted(payload: payload, signer: signer, wifiPassphrase: passphrase)
    }

    private func lastAcceptedSequence(_ stored: [UInt8]) throws -> UInt64 {
        let message = try COSESign1(decoding: stored, decoder: decoder)
        return try RegistryPayload(decoding: message.payload ?? []).sequence
    }

    private static func der(_ certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return [] }
        return serializer.serializedBytes
    }

    private func chains(_ leaf: Certificate, intermediates: [Certificate], at time: Date) async -> Bool {
        var verifier = Verifier(rootCertificates: CertificateStore([registryRoot])) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        if case .validCertificate = result { return true }
        return false
    }
}
