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
    public var certificateNotAfter: Date {
        (try? Certificate(derEncoded: certificateChain[0]))?.notValidAfter ?? .distantPast
    }

    /// Whether it is time to renew: less than `remainingFraction` of the certificate's validity is left.
    ///
    /// RFC 7030 leaves the moment to the client; renewing with a third of the lifetime left gives a device that is
    /// offline for a while several chances before its certificate expires.
    public func renewalDue(now: Date = Date(), remainingFraction: Double = 1.0 / 3) -> Bool {
        guard let leaf = try? Certificate(derEncoded: certificateChain[0]) else { return true }
        let lifetime = leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore)
        return leaf.notValidAfter.timeIntervalSince(now) < lifetime * remainingFraction
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
        let issuingCA = certificateChain.count > 1 ? certificateChain[1] : []
        var intermediates = issued.filter { $0 != leaf }
        if let ca = try? Certificate(derEncoded: issuingCA) { intermediates.append(ca) }
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
