import Crypto
public import DANE
public import DNSSEC
public import DNSWire
public import DeviceKit
import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
public import NIOSSL
public import Payload
import SwiftASN1
import X509

/// The device middleware: reaches its ASP over mutual TLS 1.3 where both sides are proven by DNSSEC (DANE).
///
/// Why: a meter has no WebPKI store and must move between clouds untouched. Everything it trusts comes from its
/// verified ``RegistryPayload``: the DNS-over-TLS resolver (address, SPKI pin), the zone's trust anchors, the ASP
/// endpoint. The client key stays in the eSIM (``IoTSafePrivateKey``).
///
/// ``connect()`` does, failing closed with a ``DeviceAgentError`` that says why:
/// 1. self-attestation (``selfAttest()``): its own certificate must match the validated TLSA at
///    `<eid>._device.<zone>`; a validated NXDOMAIN means the registry revoked it (`selfAttestationFailed`);
/// 2. fetches and validates the ASP's TLSA at `_<port>._tcp.<fqdn>` (`lookupFailed` / `serverNotAuthenticated`);
/// 3. TLS 1.3 with its client chain; the server is accepted only if its chain matches that TLSA (DANE-EE, or
///    DANE-TA plus the host name in the leaf's SAN, RFC 7671), never by WebPKI;
/// 4. `HELLO <eid>` → `WELCOME …` (``DeviceConnection/welcome``): in TLS 1.3 the server checks the client
///    certificate after the client's handshake is done, so only its answer proves admission (`refusedByASP`).
///
/// Before its certificate expires the device renews it itself (``renew(now:publicationTimeout:)``): a new key in
/// the eSIM's other signature container, its CSR signed there, EST `simplereenroll` authenticated by the current
/// certificate, and the new certificate used once the zone publishes it.
///
/// Not sent: the TLS `dane_clientid` extension (draft-ietf-dance-tls-clientid). swift-nio-ssl 2.37 has no API to
/// add a ClientHello extension (no binding of a custom-extension callback anywhere in its `NIOSSL` sources, and the
/// BoringSSL it vendors has no `SSL_CTX_add_client_custom_ext`), so the ASP reads the DANE client identity from the
/// certificate's SAN dNSName instead, which draft-ietf-dance-client-auth allows.
///
/// ```swift
/// let accepted = try verifier.verify(coseBytes, …)               // DeviceKit.PayloadVerifier
/// let agent = try DeviceAgent(payload: accepted.payload, iotSafe: client, connectHost: "127.0.0.1")
/// let connection = try await agent.connect()
/// _ = try await connection.hello()                                 // "WELCOME ParkoServ <eid>"
/// ```
public final class DeviceAgent: Sendable {
    /// The ASP host name (TLSA owner `_<port>._tcp.<fqdn>`, SNI, DANE-TA name check).
    public let aspFQDN: DNSName
    /// The ASP service port.
    public let aspPort: Int
    /// The address to dial; nil dials ``aspFQDN`` through the system resolver (DANE authenticates either way).
    public let connectHost: String?
    /// The device's chain, DER, leaf first (the issuing CA next, so DANE-TA peers can chain it).
    public let certificateChain: [[UInt8]]
    /// `<eid>._device.<zone>`, from the certificate's SAN.
    public let identity: DNSName
    /// The EID (first label of ``identity``).
    public let eid: String
    /// The validating resolver (payload resolver and trust anchors).
    public let resolver: ValidatingResolver
    /// Handshake (TCP + TLS) and per-request limit.
    public let timeout: TimeAmount
    /// The signature container holding the key ``certificateChain`` names.
    public let keyID: UInt8
    /// The leaf's validity, read once (renewal decisions look at it).
    let leafValidity: ClosedRange<Date>
    /// The registry root (DER) the EST server's certificate must chain to; nil when renewal is not configured.
    public let registryRoot: [UInt8]?
    /// The EST base URL to renew at (``renew(now:publicationTimeout:)``); nil when the payload names none.
    public let estURL: String?
    let key: IoTSafePrivateKey
    let group: any EventLoopGroup

    /// - Parameters:
    ///   - aspFQDN: the ASP's host name, e.g. `parkoserv.iotregistry.test`.
    ///   - identity: the device name `<eid>._device.<zone>`; it must be a SAN dNSName of the leaf.
    ///   - iotSafe: the applet session holding the client key (container `keyID`).
    ///   - registryRoot: the registry root (DER), which EST servers chain to.
    ///   - estURL: the EST base URL for ``renew(now:publicationTimeout:)``.
    /// - Throws: ``DeviceAgentError`` `badConfiguration` when names do not parse or the leaf lacks `identity`.
    public init(
        aspFQDN: String, aspPort: Int, connectHost: String? = nil, certificateChain: [[UInt8]], identity: String,
        iotSafe: IoTSafeClient, keyID: UInt8 = IoTSafePersonalisation.clientKeyID, resolver: ValidatingResolver,
        registryRoot: [UInt8]? = nil, estURL: String? = nil, timeout: TimeAmount = .seconds(10),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        func name(_ text: String) throws -> DNSName {
            do { return try DNSName(text.hasSuffix(".") ? text : text + ".").lowercased() } catch {
                throw DeviceAgentError(.badConfiguration, "'\(text)' is not a DNS name: \(error)")
            }
        }
        self.aspFQDN = try name(aspFQDN)
        guard (1...65535).contains(aspPort) else {
            throw DeviceAgentError(.badConfiguration, "ASP port \(aspPort) is out of range")
        }
        self.aspPort = aspPort
        self.connectHost = connectHost
        guard let leaf = certificateChain.first, let cert = try? Certificate(derEncoded: leaf) else {
            throw DeviceAgentError(.badConfiguration, "the device certificate chain is empty or does not parse")
        }
        self.certificateChain = certificateChain
        self.leafValidity = cert.notValidBefore...max(cert.notValidBefore, cert.notValidAfter)
        self.identity = try name(identity)
        let sans: [GeneralName] = ((try? cert.extensions.subjectAlternativeNames) ?? nil).map { Array($0) } ?? []
        let names = sans.compactMap { if case .dnsName(let d) = $0 { try? name(d) } else { nil } }
        guard names.contains(self.identity), let first = self.identity.labels.first else {
            throw DeviceAgentError(.badConfiguration, "the device certificate has no SAN dNSName \(identity)")
        }
        self.eid = String(decoding: first, as: UTF8.self)
        self.resolver = resolver
        self.timeout = timeout
        self.keyID = keyID
        self.registryRoot = registryRoot
        self.estURL = estURL
        self.key = IoTSafePrivateKey(client: iotSafe, keyID: keyID)
        self.group = eventLoopGroup
    }

    /// Everything from a verified payload: the ASP endpoint, the device chain (certificate + issuing CA), a
    /// DNS-over-TLS client to the payload's resolver pinned by its SPKI SHA-256, and the payload's trust anchors.
    ///
    /// - Parameters:
    ///   - connectHost: the address to dial for the ASP (the demo runs everything on 127.0.0.1).
    ///   - resolverHost: overrides the resolver address (tests); the pin still applies.
    ///   - keyID: the signature container holding the key the payload's certificate names.
    ///   - asp: another service to dial than the payload's (to show that a device moved away is refused).
    public convenience init(
        payload: RegistryPayload, iotSafe: IoTSafeClient, keyID: UInt8 = IoTSafePersonalisation.clientKeyID,
        connectHost: String? = nil, resolverHost: String? = nil, asp: (fqdn: String, port: Int)? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        let dot = DNSOverTLSClient(
            .init(
                host: resolverHost ?? payload.resolver.address, port: Int(payload.resolver.port),
                spkiSHA256Pins: [payload.resolver.spkiSHA256], serverName: payload.resolver.authenticationName),
            eventLoopGroup: eventLoopGroup)
        let anchors = try payload.trustAnchors.map { a in
            TrustAnchor(
                zone: try DNSName(a.zone.hasSuffix(".") ? a.zone : a.zone + "."),
                kind: .ds(
                    DS(
                        keyTag: a.keyTag, algorithm: DNSSECAlgorithm(rawValue: a.algorithm),
                        digestType: DigestType(rawValue: a.digestType), digest: a.digest)))
        }
        try self.init(
            aspFQDN: asp?.fqdn ?? payload.asp.fqdn, aspPort: asp?.port ?? Int(payload.asp.port),
            connectHost: connectHost, certificateChain: [payload.device.certificate, payload.device.issuingCA],
            identity: payload.device.dnsName, iotSafe: iotSafe, keyID: keyID,
            resolver: ValidatingResolver(trustAnchors: anchors, transport: dot), registryRoot: payload.registryRoot,
            estURL: payload.estURL, eventLoopGroup: eventLoopGroup)
    }

    /// The ASP's TLSA owner name, `_<port>._tcp.<fqdn>`.
    public var aspTLSAName: DNSName {
        get throws { try DNSName("_\(aspPort)._tcp", origin: aspFQDN) }
    }

    /// Checks that the zone publishes this device's certificate: the leaf must match the validated TLSA at
    /// ``identity``. Returns the matching record.
    ///
    /// - Throws: ``DeviceAgentError`` `selfAttestationFailed` (revoked: validated NXDOMAIN; or another key is
    ///   published) or `lookupFailed` (bogus, resolver unreachable or unauthenticated).
    @discardableResult
    public func selfAttest() async throws -> TLSA {
        let lookup: TLSALookup
        do { lookup = try await resolver.tlsa(identity) } catch {
            throw DeviceAgentError(.lookupFailed, "self-attestation lookup of \(identity) TLSA failed: \(error)")
        }
        switch lookup {
        case .provenAbsent:
            throw DeviceAgentError(
                .selfAttestationFailed,
                "the registry zone proves \(identity) has no TLSA (validated NSEC): this device is revoked or not "
                    + "yet activated")
        case .secure(let records, _):
            let ownRecords = records.filter { $0.usage == .daneEE }
            if case .matched(let record, _) = TLSAMatcher.match(chain: certificateChain, records: ownRecords) {
                return record
            }
            throw DeviceAgentError(
                .selfAttestationFailed,
                "the TLSA at \(identity) does not match this device's certificate: it was replaced or re-keyed; "
                    + "renew the certificate")
        }
    }

    /// Self-attests (unless told not to), looks up the ASP's TLSA and opens a DANE-authenticated mutual TLS 1.3
    /// connection.
    public func connect(selfAttestation: Bool = true) async throws -> DeviceConnection {
        if selfAttestation { try await selfAttest() }
        let tlsaName = try aspTLSAName
        let records: [TLSA]
        do {
            switch try await resolver.tlsa(tlsaName) {
            case .secure(let r, _): records = r
            case .provenAbsent:
                throw DeviceAgentError(
                    .serverNotAuthenticated, "the zone proves \(tlsaName) has no TLSA: the ASP is not published")
            }
        } catch let e as DeviceAgentError {
            throw e
        } catch {
            throw DeviceAgentError(.lookupFailed, "the ASP's TLSA \(tlsaName) could not be validated: \(error)")
        }
        return try await handshake(records: records)
    }

    private func handshake(records: [TLSA]) async throws -> DeviceConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.maximumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates([])
        tls.certificateChain = try certificateChain.map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) }
        tls.privateKey = .privateKey(NIOSSLPrivateKey(customPrivateKey: key))
        let context = try NIOSSLContext(configuration: tls)
        let failure = NIOLockedValueBox<String?>(nil)
        let fqdn = aspFQDN
        let host = String(fqdn.description.dropLast())
        let loop = group.next()
        let handshake = loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context, serverHostname: host,
                        customVerificationCallback: { certificates, verdict in
                            let chain = certificates.compactMap { try? $0.toDERBytes() }
                            let result = TLSAMatcher.match(chain: chain, records: records)
                            if case .matched(let record, _) = result {
                                if record.usage == .daneTA, !Self.leaf(chain[0], names: fqdn) {
                                    failure.withLockedValue {
                                        $0 = "DANE-TA matched but the leaf does not name \(fqdn)"
                                    }
                                    verdict.succeed(.failed)
                                } else {
                                    verdict.succeed(.certificateVerified)
                                }
                            } else {
                                failure.withLockedValue {
                                    $0 = "the ASP's certificate does not match its TLSA: \(result)"
                                }
                                verdict.succeed(.failed)
                            }
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(LineClientHandler(handshake: handshake))
                }
            }
        let target = connectHost ?? host
        let channel: any Channel
        do { channel = try await bootstrap.connect(host: target, port: aspPort).get() } catch {
            handshake.fail(error)
            throw DeviceAgentError(.connectionFailed, "cannot connect to \(target):\(aspPort): \(error)")
        }
        let timer = loop.scheduleTask(in: timeout) {
            handshake.fail(DeviceAgentError(.connectionFailed, "TLS handshake with \(fqdn) timed out"))
        }
        defer { timer.cancel() }
        do { try await handshake.futureResult.get() } catch {
            try? await channel.close()
            if let reason = failure.withLockedValue({ $0 }) {
                throw DeviceAgentError(.serverNotAuthenticated, reason)
            }
            if let e = error as? DeviceAgentError { throw e }
            throw DeviceAgentError(.connectionFailed, "TLS handshake with \(fqdn) failed: \(error)")
        }
        // TLS 1.3: the client finishes before the server has checked its certificate, so admission is known only
        // when the ASP answers. HELLO is that answer.
        let connection = DeviceConnection(channel: channel, eid: eid, timeout: timeout)
        do {
            connection.welcome = try await connection.hello()
        } catch let e as DeviceAgentError where e.code == .protocolError {
            try? await channel.close()  // refused: no BYE, the ASP is already hanging up
            throw e
        } catch {
            try? await channel.close()
            throw DeviceAgentError(
                .refusedByASP, "the ASP closed the connection after the handshake (DANE client check failed?): \(error)"
            )
        }
        return connection
    }

    private static func leaf(_ der: [UInt8], names host: DNSName) -> Bool {
        guard let cert = try? Certificate(derEncoded: der),
            let sans = (try? cert.extensions.subjectAlternativeNames) ?? nil
        else { return false }
        let names: [GeneralName] = Array(sans)
        for case .dnsName(let d) in names {
            if let n = try? DNSName(d.hasSuffix(".") ? d : d + "."), n == host { return true }
        }
        return false
    }
}
