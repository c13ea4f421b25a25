import DeviceKit
public import Foundation
public import Payload
import SwiftASN1
import X509

extension SimulatedESIM {
    /// What an accepted delivery yields (the Wi-Fi secret is not in it: see ``wifiPassphrase()``).
    public struct Delivery: Sendable, CustomStringConvertible {
        /// The verified payload now held.
        public var payload: RegistryPayload
        /// The signature container now active: the one whose key the payload's device certificate names.
        public var signatureKeyID: UInt8
        /// True when exactly these bytes were already held (a repeated delivery, answered the same way).
        public var alreadyHeld: Bool

        public var description: String {
            "Delivery(eid: \(payload.device.eid), sequence: \(payload.sequence), key: \(signatureKeyID)"
                + (alreadyHeld ? ", already held)" : ")")
        }
    }

    /// Verifies a delivered Registry Payload and, when accepted, stores it and lays out the seed's containers.
    ///
    /// Checks (``PayloadVerifier``): the COSE signature and its x5chain up to the held root, this EID, not expired,
    /// a sequence above the held one, the held registry root, the device certificate chaining to it; then that the
    /// device certificate is for one of this eSIM's two signature keys (which becomes the active one) and that a
    /// sealed Wi-Fi secret opens with this eSIM's key-agreement key. Delivering the bytes already held succeeds again.
    ///
    /// - Throws: `DeviceKitError` naming the first failed check (`badSignature`, `wrongDevice`, `rollback`,
    ///   `expired`, `certificateKeyMismatch`, …); nothing is written then.
    public func deliver(payload signedPayload: [UInt8], now: Date = Date()) async throws -> Delivery {
        let held = try client.readFile(FileID.registryPayload)
        if !held.isEmpty, held == signedPayload {
            let (payload, _) = try await verifier.verify(signedPayload, lastSequence: nil, clientKey: nil, now: now)
            let keyID = try activeSignatureContainer() ?? IoTSafePersonalisation.clientKeyID
            return Delivery(payload: payload, signatureKeyID: keyID, alreadyHeld: true)
        }
        let lastSequence = held.isEmpty ? nil : heldPayload(held)?.sequence
        let (payload, _) = try await verifier.verify(
            signedPayload, lastSequence: lastSequence, clientKey: nil, now: now)
        let deviceCertificate = try Certificate(derEncoded: payload.device.certificate)
        guard let keyID = try signatureContainer(holding: deviceCertificate.publicKey) else {
            throw DeviceKitError(
                .certificateKeyMismatch,
                "the payload's device certificate is not for a signature key of eSIM \(eid); re-run the CSR step"
            )
        }
        if let wifi = payload.wifi {
            do {
                _ = try wifi.openPassphrase(using: IoTSafeKeyAgreement(client: client), eid: eid)
            } catch {
                throw DeviceKitError(
                    .decryptionFailed,
                    "the Wi-Fi secret does not open with this eSIM's key-agreement key (sealed to another key?)"
                )
            }
        }
        var files = SeedContainerLayout.files(for: payload, signedPayload: signedPayload)
        if let pending = try pendingCertificate(), pending.publicKey == deviceCertificate.publicKey {
            files[Self.pendingCertificateFileID] = []
        }
        try applet.writeFiles(files)
        return Delivery(payload: payload, signatureKeyID: keyID, alreadyHeld: false)
    }

    /// Erases what a payload put on the eSIM (deactivation): the payload, the certificates but the registry root, the
    /// endpoint and its signatures, the pending certificate. Key containers stay, as on a real applet.
    public func wipe() throws {
        var files: [UInt8: [UInt8]] = [:]
        for file in Self.personalisation.files where file.id != FileID.rootCertificate { files[file.id] = [] }
        try applet.writeFiles(files)
    }

    /// The held payload's sequence number (nil when none is held).
    public func payloadSequence() throws -> UInt64? {
        let held = try client.readFile(FileID.registryPayload)
        return held.isEmpty ? nil : heldPayload(held)?.sequence
    }

    /// The held payload's COSE_Sign1 bytes, as delivered (empty when none is held).
    public func signedPayload() throws -> [UInt8] {
        try client.readFile(FileID.registryPayload)
    }

    /// The held payload, verified again against the held root at `now` (nil when none is held).
    ///
    /// - Throws: `DeviceKitError` when the held payload no longer verifies (e.g. `expired`).
    public func currentPayload(now: Date = Date()) async throws -> RegistryPayload? {
        let held = try client.readFile(FileID.registryPayload)
        guard !held.isEmpty else { return nil }
        return try await verifier.verify(held, lastSequence: nil, clientKey: nil, now: now).payload
    }

    /// The device's certificate chain for TLS, DER, leaf first: client certificate (file 2), issuing CA (file 7).
    /// Empty before the first payload.
    public func certificateChainDER() throws -> [[UInt8]] {
        let leaf = try client.readFile(FileID.clientCertificate)
        guard !leaf.isEmpty else { return [] }
        let issuing = try client.readFile(FileID.issuingCA)
        return issuing.isEmpty ? [leaf] : [leaf, issuing]
    }

    /// Opens the held payload's sealed Wi-Fi passphrase with the eSIM's COMPUTE DH (nil when it carries none).
    ///
    /// The one API that returns the secret, for the device's Wi-Fi stack; never log it.
    public func wifiPassphrase() throws -> String? {
        let held = try client.readFile(FileID.registryPayload)
        guard !held.isEmpty, let wifi = heldPayload(held)?.wifi else { return nil }
        return try wifi.openPassphrase(using: IoTSafeKeyAgreement(client: client), eid: eid)
    }

    /// Reads a file container over READ FILE (for device middleware that knows the seed's layout).
    public func readFile(_ id: UInt8) throws -> [UInt8] {
        try client.readFile(id)
    }

    /// The held payload without re-checking it (it was checked on delivery); nil when it no longer parses.
    func heldPayload(_ bytes: [UInt8]) -> RegistryPayload? {
        guard let message = try? COSESign1(decoding: bytes, decoder: verifier.decoder) else { return nil }
        return try? RegistryPayload(decoding: message.payload ?? [])
    }
}
