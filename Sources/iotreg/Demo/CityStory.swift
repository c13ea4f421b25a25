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
    /// The registry nodes; the first created the registry and signs the zone.
    let nodes: [RegistryNode]
    let group: ServiceGroup
    let running: Task<Void, any Error>
    /// Each node's REST base URL, in the order of `nodes`.
    let baseURLs: [URL]
    let secondary: NSDSecondary?
    let topology: Topology
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
        /// Why its DANE check refused meters (the report names them when a step fails).
        let refusals: RefusalTally
    }

    private init(
        folder: URL, count: Int, deactivateCount: Int, revocationBound: UInt32, nodes: [RegistryNode],
        group: ServiceGroup, running: Task<Void, any Error>, baseURLs: [URL], secondary: NSDSecondary?,
        topology: Topology, operatorToken: String, zone: DNSName, zoneAnchor: TrustAnchor, dotPort: Int,
        dotPin: [UInt8]
    ) {
        self.folder = folder
        self.count = count
        self.deactivateCount = deactivateCount
        self.revocationBound = revocationBound
        self.nodes = nodes
        self.group = group
        self.running = running
        self.baseURLs = baseURLs
        self.secondary = secondary
        self.topology = topology
        self.operatorToken = operatorToken
        self.zone = zone
        self.zoneAnchor = zoneAnchor
        self.dotPort = dotPort
        self.dotPin = dotPin
    }

    /// Where the story runs: one node over SQLite by default; over PostgreSQL, up to two nodes that share the
    /// database and the keys; with an NSD secondary, meters and ASPs resolve from NSD and never ask a node.
    struct Topology {
        var database: String?
        var nodes = 1
        var secondary = false

        var summary: String {
            let store = database == nil ? "SQLite" : "PostgreSQL"
            let nodes = self.nodes == 1 ? "1 node" : "\(self.nodes) nodes"
            return "\(nodes) over \(store); DNS from "
                + (secondary ? "an NSD secondary over DoT" : "the signer over DoT")
        }
    }

    /// The node that created the registry and signs the zone.
    var node: RegistryNode { nodes[0] }
    /// The first node's REST base URL (the registry operator's and the first ASP's door).
    var baseURL: URL { baseURLs[0] }

    /// Starts the registry on free loopback ports (REST, DNS, DoT, EST), revocation visible within `revocationBound`.
    ///
    /// The first node creates the registry; each further node starts from a copy of its folder (the keys) over the
    /// same database, as docs/deployment.md says, and stands by as the zone's signer.
    static func start(
        folder: URL, devices: Int, deactivate: Int, revocationBound: UInt32, topology: Topology = .init()
    ) async throws -> CityStory {
        var logger = Logger(label: "iotreg.demo")
        logger.logLevel = .error
        let any = ListenAddress(argument: "127.0.0.1:0")!
        let off = ListenAddress(argument: "off")!
        // A secondary must know every node's DNS address before a standby has opened it: fixed free ports.
        let secondaryPorts = try topology.secondary ? (dns: NSDSecondary.freePort(), tls: NSDSecondary.freePort()) : nil
        var nodes: [RegistryNode] = []
        var portStreams: [AsyncStream<Int>] = []
        var dnsAddresses: [ListenAddress] = []
        for index in 0..<topology.nodes {
            let name = index == 0 ? "registry" : "registry-\(index + 1)"
            let home = RegistryHome(path: folder.appendingPathComponent(name).path)
            if index > 0 { try FileManager.default.copyItem(at: nodes[0].home.directory, to: home.directory) }
            let dns = secondaryPorts == nil ? any : ListenAddress(argument: "127.0.0.1:\(try NSDSecondary.freePort())")!
            var options = RegistryNode.Options(
                http: any, dns: dns, dot: secondaryPorts == nil ? any : off, epp: off, est: any,
                revocationBound: revocationBound, wifi: ("city-meters", "parking-2026"), bootstrapMetrics: false,
                announce: false)
            options.database = topology.database
            if let secondaryPorts {
                options.notify = [ListenAddress(argument: "127.0.0.1:\(secondaryPorts.dns)")!]
                options.payloadResolver = ("127.0.0.1", secondaryPorts.tls)
            }
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            nodes.append(
                try await RegistryNode.start(
                    home: home, options: options, logger: logger, onHTTP: { portSink.yield($0) }))
            portStreams.append(ports)
            dnsAddresses.append(dns)
        }
        let group = ServiceGroup(
            configuration: .init(services: nodes.flatMap(\.services).map { .init(service: $0) }, logger: logger))
        let running = Task { try await group.run() }
        var baseURLs: [URL] = []
        for stream in portStreams {
            var iterator = stream.makeAsyncIterator()
            guard let port = await iterator.next() else {
                throw CLIError("a demo node did not start its REST listener")
            }
            baseURLs.append(URL(string: "http://127.0.0.1:\(port)")!)
        }
        let home = nodes[0].home
        let settings = try home.settings()
        let zone = try DNSName(settings.zone)
        var secondary: NSDSecondary?
        if let secondaryPorts {
            let directory = folder.appendingPathComponent("nsd")
            let identity = try home.writeDoTIdentity(to: directory)
            secondary = try NSDSecondary(
                directory: directory, zone: zone.description, primaries: dnsAddresses,
                transferKey: (RegistryHome.transferKeyName, Data(try home.transferKeySecret()).base64EncodedString()),
                tls: identity, ports: secondaryPorts)
        }
        guard let dotPort = secondaryPorts?.tls ?? nodes[0].dnsPorts.tls else {
            throw CLIError("the demo registry did not start its DoT listener")
        }
        let ds = try home.zoneKeys(create: false).keySigningKey.ds(owner: zone)
        let pin = try home.dotSPKIPin()
        let token = try String(contentsOf: home.tokenURL, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return CityStory(
            folder: folder, count: devices, deactivateCount: deactivate, revocationBound: revocationBound,
            nodes: nodes, group: group, running: running, baseURLs: baseURLs, secondary: secondary,
            topology: topology, operatorToken: token, zone: zone, zoneAnchor: TrustAnchor(zone: zone, kind: .ds(ds)),
            dotPort: dotPort, dotPin: pin)
    }

    func stop() async {
        await secondary?.stop()
        await group.triggerGracefulShutdown()
        _ = await running.result
        for node in nodes.reversed() { await node.stopListeners() }
    }

    /// A REST client for `token` at node `node` (any node takes API traffic; the story spreads its parties).
    func api(_ token: String, node: Int = 0) -> RegistryClient {
        RegistryClient(baseURL: baseURLs[node % baseURLs.count], token: token)
    }

    /// A validating resolver over the DoT listener payloads name (the signer's, or the NSD secondary's), pinned by its SPKI,
    /// anchored at the zone's DS.
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
        let authenticator = DANEClientAuthenticator(zone: zone, resolver: resolver())
        let refusals = RefusalTally(following: authenticator)
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
            authenticator: authenticator)
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
        return Service(
            id: id, token: token, name: name, fqdn: fqdn, server: server, port: port, refusals: refusals)
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
