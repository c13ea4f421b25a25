import ASPKit
import Crypto
import DANE
import DNSSEC
import DNSWire
import DeviceAgent
import EPPServer
import Foundation
import Logging
import MNOSimulator
import NIOSSL
import PKI
import Payload
import RegistryCore
import ServiceLifecycle
import Synchronization
import X509

/// The city story (DESIGN.md) on loopback: a registry node, two sample ASPs, a simulated MNO and its eSIMs.
///
/// Every party uses its real door: the ASPs and the city speak REST with their own tokens, the MNO long-polls its
/// task queue, each meter verifies its payload, resolves over DNS-over-TLS, validates DNSSEC from the payload's
/// anchors, and connects with mutual TLS checked by DANE on both sides.
final class CityStory: @unchecked Sendable {
    let folder: URL
    let count: Int
    let deactivateCount: Int
    let revocationBound: UInt32
    let node: RegistryNode
    let group: ServiceGroup
    let running: Task<Void, any Error>
    let baseURL: URL
    let operatorToken: String
    let zone: DNSName
    let zoneAnchor: TrustAnchor
    let dotPort: Int
    let dotPin: [UInt8]
    var eids: [String] = []
    var report = DemoReport()

    struct Service {
        let id: String
        let token: String
        let name: String
        let fqdn: String
        let server: SampleASPServer
        let port: Int
    }

    private init(
        folder: URL, count: Int, deactivateCount: Int, revocationBound: UInt32, node: RegistryNode,
        group: ServiceGroup, running: Task<Void, any Error>, baseURL: URL, operatorToken: String, zone: DNSName,
        zoneAnchor: TrustAnchor, dotPort: Int, dotPin: [UInt8]
    ) {
        self.folder = folder
        self.count = count
        self.deactivateCount = deactivateCount
        self.revocationBound = revocationBound
        self.node = node
        self.group = group
        self.running = running
        self.baseURL = baseURL
        self.operatorToken = operatorToken
        self.zone = zone
        self.zoneAnchor = zoneAnchor
        self.dotPort = dotPort
        self.dotPin = dotPin
    }

    /// Starts the registry on free loopback ports (REST, DNS, DoT, EST), revocation visible within `revocationBound`.
    static func start(folder: URL, devices: Int, deactivate: Int, revocationBound: UInt32) async throws -> CityStory {
        var logger = Logger(label: "iotreg.demo")
        logger.logLevel = .error
        let home = RegistryHome(path: folder.appendingPathComponent("registry").path)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let any = ListenAddress(argument: "127.0.0.1:0")!
        let node = try await RegistryNode.start(
            home: home,
            options: .init(
                http: any, dns: any, dot: any, epp: ListenAddress(argument: "off")!,
                est: any, revocationBound: revocationBound,
                wifi: ("city-meters", "parking-2026"), bootstrapMetrics: false, announce: false),
            logger: logger, onHTTP: { portSink.yield($0) })
        let group = ServiceGroup(
            configuration: .init(services: node.services.map { .init(service: $0) }, logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let httpPort = await iterator.next(), let dotPort = node.dnsPorts.tls else {
            throw CLIError("the demo registry did not start its listeners")
        }
        let settings = try home.settings()
        let zone = try DNSName(settings.zone)
        let ds = try home.zoneKeys(create: false).keySigningKey.ds(owner: zone)
        let pin = try home.dotSPKIPin()
        let token = try String(contentsOf: home.tokenURL, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return CityStory(
            folder: folder, count: devices, deactivateCount: deactivate, revocationBound: revocationBound, node: node,
            group: group, running: running, baseURL: URL(string: "http://127.0.0.1:\(httpPort)")!,
            operatorToken: token, zone: zone, zoneAnchor: TrustAnchor(zone: zone, kind: .ds(ds)), dotPort: dotPort,
            dotPin: pin)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await running.result
        await node.stopListeners()
    }

    func api(_ token: String) -> RegistryClient { RegistryClient(baseURL: baseURL, token: token) }

    /// A validating resolver over the registry's DoT listener, pinned by its SPKI, anchored at the zone's DS.
    func resolver() -> ValidatingResolver {
        ValidatingResolver(
            trustAnchors: [zoneAnchor],
            transport: DNSOverTLSClient(
                .init(host: "127.0.0.1", port: dotPort, spkiSHA256Pins: [dotPin], serverName: "localhost")))
    }

    /// Starts a sample ASP with a fresh self-signed certificate and onboards it (its TLSA is then published).
    func onboardASP(_ name: String, label: String) async throws -> Service {
        let fqdn = "\(label).\(zone.description.dropLast())"
        let identity = try EPPTLSIdentity.selfSigned(hostnames: [fqdn])
        let certificate = try Certificate(pemOrDER: Array(identity.certificateChainPEM.utf8))
        let registry = node.registry
        let sponsor = Mutex<String?>(nil)  // the ASP's id, known once onboarded (the server starts first)
        let server = SampleASPServer(
            .init(
                name: name, certificateChain: [certificate.derBytes],
                privateKey: try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem),
                sponsors: { eid in
                    // The ASP's own customer list is the registry's answer for its token: a device transferred
                    // away is no longer visible to it.
                    guard let id = sponsor.withLock({ $0 }) else { return false }
                    guard let device = try? await registry.device(eid, by: .asp(id)) else { return false }
                    return device.state == .active
                }),
            authenticator: DANEClientAuthenticator(zone: zone, resolver: resolver()))
        let port = try await server.start()
        let created = try await api(operatorToken).send(
            "POST", "/v1/asps",
            json: [
                "name": name, "fqdn": fqdn, "port": port, "protocol": "tls",
                "serverCertificate": identity.certificateChainPEM,
            ])
        let object = created as? [String: Any] ?? [:]
        guard let id = object["id"] as? String, let token = object["token"] as? String else {
            throw CLIError("onboarding \(name) answered \(object)")
        }
        sponsor.withLock { $0 = id }
        try await waitUntilPublished(try DNSName("_\(port)._tcp.\(fqdn)."))
        return Service(id: id, token: token, name: name, fqdn: fqdn, server: server, port: port)
    }

    /// Waits (up to 10 s) until the zone serves a validated TLSA at `name`: the zone follower publishes a newly
    /// onboarded ASP within a second, and a device that looked earlier would cache the proof that it is absent.
    func waitUntilPublished(_ name: DNSName) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if case .secure = try? await resolver().tlsa(name) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError("the zone did not publish \(name) within 10 s")
    }

    func onboard(_ kind: String, _ name: String) async throws -> (id: String, token: String) {
        let object = try await api(operatorToken).send("POST", "/v1/\(kind)", json: ["name": name]) as? [String: Any]
        guard let id = object?["id"] as? String, let token = object?["token"] as? String else {
            throw CLIError("onboarding \(name) failed")
        }
        return (id, token)
    }
}
