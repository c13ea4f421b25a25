import Crypto
import DANE
import DNSWire
import DeviceKit
public import Foundation
import NIOCore
import PKI
import SwiftASN1
import X509

extension DeviceAgent {
    /// When the certificate in use stops being valid.
    public var certificateNotAfter: Date { leafValidity.upperBound }

    /// Whether it is time to renew: `remainingFraction` of the certificate's validity, or less, is left.
    ///
    /// RFC 7030 leaves the moment to the client; renewing with a third of the lifetime left gives a device that is
    /// offline for a while several chances before its certificate expires.
    public func renewalDue(now: Date = Date(), remainingFraction: Double = 1.0 / 3) -> Bool {
        let lifetime = leafValidity.upperBound.timeIntervalSince(leafValidity.lowerBound)
        return leafValidity.upperBound.timeIntervalSince(now) <= lifetime * remainingFraction
    }

    /// ``renew(now:publicationTimeout:)`` when ``renewalDue(now:remainingFraction:)``, else nil.
    public func renewIfDue(now: Date = Date(), publicationTimeout: Duration = .seconds(10)) async throws
        -> DeviceAgent?
    {
        guard renewalDue(now: now) else { return nil }
        return try await renew(now: now, publicationTimeout: publicationTimeout)
    }

    /// Renews the device's certificate with EST `simplereenroll` (RFC 7030 §4.2.2) and returns the agent that uses
    /// it.
    ///
    /// 1. a new key pair in the eSIM's other signature container (the current key keeps working meanwhile), and
    ///    its CSR, signed inside the applet;
    /// 2. the CSR to the payload's EST server over mutual TLS: the server must chain to the registry root and name
    ///    the URL's host; the device authenticates with the certificate it is renewing;
    /// 3. the answer must be a certificate for exactly the new key, naming this device, chaining to the root;
    /// 4. the registry revoked the old certificate when it issued the new one, and its zone replaces the device's
    ///    TLSA: the returned agent waits (up to `publicationTimeout`) until its self-attestation sees the new
    ///    record, so its first connection does not fail. A slower zone only delays that check: the new agent is
    ///    returned either way, and ``connect(selfAttestation:)`` self-attests again.
    ///
    /// The registry then sends the device a new payload naming the new certificate through the MNO, as for any
    /// issuance; until it arrives the device host keeps the returned certificate.
    ///
    /// - Throws: ``DeviceAgentError`` `badConfiguration` (no EST URL or registry root), `connectionFailed` /
    ///   `serverNotAuthenticated` (EST server unreachable or not the registry's), `renewalFailed` (refused, or an
    ///   answer that is not a certificate for the new key). Nothing changes for the current identity then.
    public func renew(now: Date = Date(), publicationTimeout: Duration = .seconds(10)) async throws -> DeviceAgent {
        guard let estURL, let registryRoot, let root = try? Certificate(derEncoded: registryRoot) else {
            throw DeviceAgentError(
                .badConfiguration, "the device's payload names no EST server (or no registry root) to renew with")
        }
        let client = key.client
        let target =
            keyID == IoTSafePersonalisation.clientKeyID
            ? IoTSafePersonalisation.spareKeyID : IoTSafePersonalisation.clientKeyID
        if let spare = try? client.signingPublicKey(target), await zonePublishes(spare) {
            // An earlier attempt was certified but its answer never came: the old certificate is revoked and the
            // registry's next payload names this key. Making a new one would strand that payload.
            throw DeviceAgentError(
                .renewalFailed,
                "the registry already certified the eSIM's new key (the zone publishes it) but its answer was lost; "
                    + "the payload the registry sends through the MNO carries that certificate: keep the key and "
                    + "wait for it")
        }
        let request: [UInt8]
        let newKey: Certificate.PublicKey
        do {
            _ = try client.generateKeyPair(in: target)
            newKey = Certificate.PublicKey(try client.signingPublicKey(target))
            let csr = try client.certificateSigningRequest(
                subject: DistinguishedName { CommonName(eid) }, keyID: target)
            var der = DER.Serializer()
            try der.serialize(csr)
            request = Array(Data(der.serializedBytes).base64EncodedString(options: .lineLength64Characters).utf8)
        } catch {
            throw DeviceAgentError(.renewalFailed, "the eSIM could not make a new key and its CSR: \(error)")
        }
        let est = try ESTClient(
            baseURL: estURL, registryRoot: root, clientChain: certificateChain, key: key, timeout: timeout,
            group: group)
        let reply = try await est.post("simplereenroll", body: request, contentType: "application/pkcs10")
        guard reply.status == 200 else {
            throw DeviceAgentError(
                .renewalFailed, "EST simplereenroll was refused (HTTP \(reply.status)): \(Self.problemDetail(reply))")
        }
        let issued: [Certificate]
        do { issued = try CertsOnlyPKCS7.certificates(from: reply.body) } catch {
            throw DeviceAgentError(.renewalFailed, "the EST answer is not a certs-only PKCS#7: \(error)")
        }
        guard let leaf = issued.first(where: { $0.publicKey == newKey }) else {
            throw DeviceAgentError(.renewalFailed, "the EST answer holds no certificate for the eSIM's new key")
        }
        // The CA that issued the new certificate: the one in the answer (after an issuing-CA rollover it is not the
        // one the device held), else the one it had.
        var intermediates = issued.filter { $0 != leaf }
        if let held = certificateChain.count > 1 ? try? Certificate(derEncoded: certificateChain[1]) : nil {
            intermediates.append(held)
        }
        let issuingCA = intermediates.first { $0.subject == leaf.issuer }?.derBytes ?? []
        var verifier = Verifier(rootCertificates: CertificateStore([root])) {
            RFC5280Policy(validationTime: now)
        }
        guard
            case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        else {
            throw DeviceAgentError(.renewalFailed, "the renewed certificate does not chain to the registry root")
        }
        let renewed: DeviceAgent
        do {
            renewed = try DeviceAgent(
                aspFQDN: String(aspFQDN.description.dropLast()), aspPort: aspPort, connectHost: connectHost,
                certificateChain: [leaf.derBytes] + (issuingCA.isEmpty ? [] : [issuingCA]),
                identity: identity.description, iotSafe: client, keyID: target, resolver: resolver,
                registryRoot: registryRoot, estURL: estURL, timeout: timeout, eventLoopGroup: group)
        } catch {
            throw DeviceAgentError(.renewalFailed, "the renewed certificate does not name \(identity): \(error)")
        }
        await renewed.awaitPublication(within: publicationTimeout)
        return renewed
    }

    /// Whether the zone's validated TLSA for this device names `key` (a fresh lookup).
    func zonePublishes(_ key: P256.Signing.PublicKey) async -> Bool {
        await resolver.forget(identity, .tlsa)
        guard case .secure(let records, _) = try? await resolver.tlsa(identity) else { return false }
        let spki = Array(key.derRepresentation)
        return records.contains { record in
            guard record.usage == .daneEE, record.selector == .subjectPublicKeyInfo else { return false }
            switch record.matchingType {
            case .full: return record.data == spki
            case .sha256: return record.data == Array(SHA256.hash(data: spki))
            case .sha512: return record.data == Array(SHA512.hash(data: spki))
            default: return false
            }
        }
    }

    /// Waits until self-attestation passes (asking the resolver afresh each time), or the time is up.
    func awaitPublication(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        repeat {
            await resolver.forget(identity, .tlsa)
            if (try? await selfAttest()) != nil { return }
            try? await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < deadline
        await resolver.forget(identity, .tlsa)
    }

    /// The `detail` of a problem+json answer, or the start of whatever else came.
    static func problemDetail(_ reply: ESTClient.Reply) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any],
            let detail = object["detail"] as? String
        {
            return detail
        }
        return String(decoding: reply.body.prefix(200), as: UTF8.self)
    }
}
