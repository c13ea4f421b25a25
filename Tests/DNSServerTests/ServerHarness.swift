import DNSSEC
import DNSServer
import DNSWire
import Foundation
import PeerTesting

/// A server on 127.0.0.1 ephemeral ports for one test, with a temporary directory for peer files.
struct ServerHarness {
    let server: DNSServer
    let ports: DNSServer.BoundPorts
    let dir: URL

    static func start(
        _ zone: SignedZone, tls: Bool = false, configure: (inout DNSServer.Configuration) -> Void = { _ in }
    ) async throws -> ServerHarness {
        let dir = try PeerTool.temporaryDirectory("dnsserver")
        var config = DNSServer.Configuration()
        if tls {
            let r = try PeerTool.run(
                "openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path,
                    "-days", "1", "-subj", "/CN=ns1.iotregistry.test",
                ])
            guard r.status == 0 else { throw DNSServerError(.badConfiguration, r.output) }
            config.tlsCertificateChainPEM = try String(
                contentsOf: dir.appendingPathComponent("cert.pem"), encoding: .utf8)
            config.tlsPrivateKeyPEM = try String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8)
        }
        configure(&config)
        let server = DNSServer(configuration: config, zoneStore: ZoneStore(zone))
        let ports = try await server.start(
            udpTCP: .init(host: "127.0.0.1", port: 0), dot: tls ? .init(host: "127.0.0.1", port: 0) : nil)
        return ServerHarness(server: server, ports: ports, dir: dir)
    }

    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    var udp: String { String(ports.udp ?? 0) }
    var tcp: String { String(ports.tcp ?? 0) }

    func kdig(_ args: [String]) async throws -> String {
        try await PeerTool.runDetached("kdig", ["@127.0.0.1", "+timeout=3", "+retry=1"] + args, timeout: 60).output
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// delv's verdict line (`; fully validated`, `; negative response, fully validated`, …) for `name TYPE`.
    func delv(_ name: DNSName, _ type: String, ds: String) async throws -> String {
        // delv wants the digest quoted: `static-ds TAG 13 2 "HEX"` (peer-tools.md §5).
        var fields = ds.split(separator: " ").map(String.init)
        if let digest = fields.popLast() { fields.append("\"\(digest)\"") }
        let ta = try write(
            "ta.conf", "trust-anchors {\n  \"iotregistry.test.\" static-ds \(fields.joined(separator: " "));\n};\n")
        let r = try await PeerTool.runDetached(
            "delv", ["@127.0.0.1", "-p", udp, "-a", ta, "+root=iotregistry.test", name.description, type], timeout: 60)
        return r.output
    }

    /// `unbound-host` with the trust anchor and a stub zone to this server (peer-tools.md §5).
    func unboundHost(_ name: DNSName, _ type: String, ds: String) async throws -> String {
        try await PeerTool.unboundHost(name.description, type, ds: ds, port: ports.udp ?? 0, directory: dir)
    }
}
