public import DANE
public import DNSWire
public import NIOCore
public import NIOSSL
import SwiftASN1
import X509

/// Why the ASP middleware refused a device.
public enum RefusalReason: String, Hashable, Sendable, CustomStringConvertible {
    /// No client certificate, or no single DANE client identity `<eid>._device.<zone>` under our zone in its SAN.
    case unknown
    /// A validated NXDOMAIN/NODATA (NSEC) proof: the registry no longer publishes this identity.
    case revoked
    /// The identity exists but its TLSA does not match the presented key: a substituted or stale certificate.
    case substitutedKey
    /// The DNSSEC answer did not validate: an attack or a broken zone.
    case bogus
    /// The lookup could not be completed (resolver down, pin mismatch, timeout): failing closed.
    case lookupFailed

    public var description: String { rawValue }
}

/// One admission decision, published on ``DANEClientAuthenticator/events`` for alerting.
public enum AdmissionEvent: Hashable, Sendable, CustomStringConvertible {
    /// The device's certificate matched the validated TLSA of its identity name.
    case admitted(eid: String, identity: DNSName, matched: TLSA)
    /// The device was refused; `eid` is nil when no identity could be read.
    case refused(eid: String?, reason: RefusalReason, detail: String)

    public var isAdmitted: Bool { if case .admitted = self { true } else { false } }

    public var description: String {
        switch self {
        case .admitted(let eid, _, let tlsa):
            "admitted \(eid) (TLSA \(tlsa.usage.rawValue) \(tlsa.selector.rawValue) "
                + "\(tlsa.matchingType.rawValue))"
        case .refused(let eid, let reason, let detail): "refused \(eid ?? "-"): \(reason): \(detail)"
        }
    }
}

/// The ASP middleware: DANE client authentication (draft-ietf-dance-client-auth) inside the TLS handshake.
///
/// Why: the registry publishes each device's key as `<eid>._device.<zone> TLSA 3 1 1` and deletes the name when
/// the device is deactivated, so checking it at every handshake enforces revocation within the TTL, with no CRL,
/// no OCSP and nothing pushed to the ASP.
///
/// For each client: exactly one SAN dNSName `<eid>._device.<zone>` (one label, then `_device`, then our zone) is
/// the identity; its TLSA RRset is fetched and DNSSEC-validated by the ``ValidatingResolver`` (cached within
/// TTLs, and looked up once more afresh before a refusal, so a renewed device is not refused for the TTL); the device
/// is admitted only if its leaf matches a DANE-EE record (or, with `acceptIssuerTA`, its chain
/// matches the DANE-TA record at `_ca._device.<zone>` while its own name still exists). A validated NXDOMAIN means
/// revoked; any other failure refuses too (fail closed). Every decision goes to ``events``.
///
/// Wiring into a NIO server:
/// ```swift
/// let auth = DANEClientAuthenticator(zone: try DNSName("iotregistry.test."), resolver: resolver)
/// let context = try NIOSSLContext(configuration: DANEClientAuthenticator.serverConfiguration(
///     certificateChain: chain, privateKey: key))
/// // in the child channel initializer:
/// try channel.pipeline.syncOperations.addHandler(auth.makeServerHandler(context: context))
/// Task { for await event in auth.events { alert(event) } }
/// ```
public final class DANEClientAuthenticator: Sendable {
    /// The registry zone device identities live under.
    public let zone: DNSName
    /// The validating resolver (shared cache) the lookups go through.
    public let resolver: ValidatingResolver
    /// Also admit a device whose chain matches `_ca._device.<zone>` DANE-TA when its own TLSA does not match.
    public let acceptIssuerTA: Bool
    /// Admission decisions, for alerts (one consumer; the newest 10,000 are kept when nobody reads).
    public let events: AsyncStream<AdmissionEvent>
    private let continuation: AsyncStream<AdmissionEvent>.Continuation

    public init(zone: DNSName, resolver: ValidatingResolver, acceptIssuerTA: Bool = false) {
        self.zone = zone.lowercased()
        self.resolver = resolver
        self.acceptIssuerTA = acceptIssuerTA
        (events, continuation) = AsyncStream.makeStream(
            of: AdmissionEvent.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    deinit { continuation.finish() }

    /// A TLS 1.3 server configuration that requires a client certificate; pair it with ``makeServerHandler(context:)``
    /// (whose callback replaces all WebPKI verification with the DANE check).
    public static func serverConfiguration(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey)
        -> TLSConfiguration
    {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification  // request and require a client certificate
        tls.trustRoots = .certificates([])
        return tls
    }

    /// The server-side TLS handler whose handshake succeeds only when ``evaluate(chain:)`` admits the client.
    public func makeServerHandler(context: NIOSSLContext) -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: verificationCallback)
    }

    /// The NIOSSL callback: runs the DANE check off the event loop and completes the handshake verdict.
    public var verificationCallback: NIOSSLCustomVerificationCallbackWithMetadata {
        { [self] certificates, verdict in
            let ders = certificates.compactMap { try? $0.toDERBytes() }
            Task {
                let event = await self.evaluate(chain: ders)
                // The DANE-validated "chain" is the leaf the TLSA matched.
                if event.isAdmitted, let leaf = certificates.first {
                    verdict.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain([leaf]))))
                } else {
                    verdict.succeed(.failed)
                }
            }
        }
    }

    /// Decides on a presented chain (DER, leaf first) and publishes the decision on ``events``.
    public func evaluate(chain: [[UInt8]]) async -> AdmissionEvent {
        let event = await decide(chain)
        continuation.yield(event)
        return event
    }

    private func decide(_ chain: [[UInt8]]) async -> AdmissionEvent {
        guard let leaf = chain.first else {
            return .refused(eid: nil, reason: .unknown, detail: "no client certificate")
        }
        let identity: DeviceIdentity
        do { identity = try DeviceIdentity(certificateDER: leaf, zone: zone) } catch let e as DANEError {
            return .refused(eid: nil, reason: .unknown, detail: e.reason)
        } catch { return .refused(eid: nil, reason: .unknown, detail: "\(error)") }
        let first = await check(chain, identity, afresh: false)
        // A refusal may rest on a cached answer the zone has since replaced (the device renewed its certificate,
        // or was activated again), or on one lookup that timed out (a secondary reloading after a transfer): look
        // once more, afresh, at most once a second per name (concurrent re-checks share one query), so a flood of
        // bad certificates cannot turn into a flood of queries. A fresher validated answer can only be more current;
        // a bogus answer is not retried.
        guard case .refused(_, let reason, _) = first, [.substitutedKey, .revoked, .lookupFailed].contains(reason)
        else {
            return first
        }
        return await check(chain, identity, afresh: true)
    }

    private func check(_ chain: [[UInt8]], _ identity: DeviceIdentity, afresh: Bool) async -> AdmissionEvent {
        let lookup: TLSALookup
        do {
            lookup =
                afresh
                ? try await resolver.tlsaAfresh(identity.name, atMostEvery: 1)
                : try await resolver.tlsa(identity.name)
        } catch {
            return Self.refusal(identity.eid, identity.name, error)
        }
        switch lookup {
        case .provenAbsent:
            return .refused(
                eid: identity.eid, reason: .revoked,
                detail: "validated NSEC proof: \(identity.name) has no TLSA (revoked or never registered)")
        case .secure(let records, _):
            let own = TLSAMatcher.match(chain: chain, records: records)
            if case .matched(let record, _) = own {
                return .admitted(eid: identity.eid, identity: identity.name, matched: record)
            }
            if acceptIssuerTA, let taName = try? DNSName("_ca._device", origin: zone) {
                if case .secure(let ta, _) = try? await resolver.tlsa(taName),
                    case .matched(let record, _) = TLSAMatcher.match(
                        chain: chain, records: ta.filter { $0.usage == .daneTA })
                {
                    return .admitted(eid: identity.eid, identity: identity.name, matched: record)
                }
            }
            return .refused(
                eid: identity.eid, reason: .substitutedKey,
                detail: "the certificate does not match the TLSA published at \(identity.name): \(own)")
        }
    }

    private static func refusal(_ eid: String, _ name: DNSName, _ error: any Error) -> AdmissionEvent {
        if let e = error as? DANEError, e.code == .bogus {
            return .refused(eid: eid, reason: .bogus, detail: e.reason)
        }
        return .refused(eid: eid, reason: .lookupFailed, detail: "\(name): \(error)")
    }
}

/// The DANE client identity in a device certificate: the one SAN dNSName `<eid>._device.<zone>`.
public struct DeviceIdentity: Hashable, Sendable {
    /// `<eid>._device.<zone>`, lowercased.
    public var name: DNSName
    /// The first label: the device identifier (EID).
    public var eid: String

    /// Reads the identity from a certificate; throws ``DANEError`` `badCertificate` when the certificate does not
    /// parse or has not exactly one such SAN under `zone`.
    public init(certificateDER: [UInt8], zone: DNSName) throws {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: certificateDER) } catch {
            throw DANEError(.badCertificate, "the client certificate does not parse: \(error)")
        }
        let sans: [GeneralName] = ((try? certificate.extensions.subjectAlternativeNames) ?? nil).map { Array($0) } ?? []
        var found: [DNSName] = []
        for case .dnsName(let text) in sans {
            guard let name = try? DNSName(text.hasSuffix(".") ? text : text + ".") else { continue }
            let lower = name.lowercased()
            guard lower.labelCount == zone.labelCount + 2, lower.isSubdomain(of: zone),
                let parent = lower.parent, parent.labels.first.map({ [UInt8]($0) }) == [UInt8]("_device".utf8)
            else { continue }
            found.append(lower)
        }
        guard found.count == 1, let name = found.first, let first = name.labels.first else {
            throw DANEError(
                .badCertificate,
                found.isEmpty
                    ? "no SAN dNSName <eid>._device.\(zone) in the certificate"
                    : "\(found.count) SAN names under _device.\(zone); exactly one is allowed")
        }
        self.name = name
        self.eid = String(decoding: first, as: UTF8.self)
    }
}
