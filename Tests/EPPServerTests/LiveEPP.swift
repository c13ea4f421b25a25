import EPP
import EPPServer
import Foundation
import PeerTesting
import RegistryCore
import RegistryStoreSQLite
import Testing

/// A registry with two ASPs behind a real EPP-over-TLS server on 127.0.0.1 and a free port, for one test.
///
/// Client certificates are made by `openssl req -x509` (a peer, as an ASP would make them) and registered through
/// the core's `addClientCertificate`, the use case behind `POST /v1/asps/{id}/certificates`.
struct LiveEPP {
    let server: EPPServer
    let registry: Registry
    let store: SQLiteRegistryStore
    let port: Int
    let directory: URL
    let aspA: OnboardingResult
    let aspB: OnboardingResult
    let owner: OnboardingResult
    let mno: OnboardingResult

    /// PEM paths: the server certificate (the trust anchor for clients) and per-ASP client certificate and key.
    var serverCertificate: String { directory.appendingPathComponent("server.pem").path }
    func certificate(_ name: String) -> String { directory.appendingPathComponent("\(name).pem").path }
    func key(_ name: String) -> String { directory.appendingPathComponent("\(name).key").path }

    static func run<T>(
        configuration: RegistryConfiguration = .init(), idleTimeout: Duration = .seconds(30),
        maxFrameSize: Int = 256 * 1024, _ body: (LiveEPP) async throws -> T
    ) async throws -> T {
        let directory = try PeerTool.temporaryDirectory("epp-live")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteRegistryStore(path: ":memory:")
        try await store.migrate()
        let registry = Registry(store: store, configuration: configuration)
        _ = try await registry.bootstrapOperator()
        let op = Principal.registryOperator
        let aspA = try await registry.createASP(NewASP(name: "ParkoServ", fqdn: "iot.parkoserv.ca", port: 8883), by: op)
        let aspB = try await registry.createASP(
            NewASP(name: "CarParkServ", fqdn: "iot.carparkserv.ca", port: 8883), by: op)
        let owner = try await registry.createTenant(kind: .owner, name: "City of Ottawa", by: op)
        let mno = try await registry.createTenant(kind: .mno, name: "Rogers", by: op)
        for name in ["a", "b", "stranger"] {
            let made = try PeerTool.run(
                "openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=epp-client-\(name)", "-keyout", directory.appendingPathComponent("\(name).key").path,
                    "-out", directory.appendingPathComponent("\(name).pem").path,
                ])
            try #require(made.status == 0, "openssl: \(made.stderr)")
        }
        let pemA = try String(contentsOf: directory.appendingPathComponent("a.pem"), encoding: .utf8)
        let pemB = try String(contentsOf: directory.appendingPathComponent("b.pem"), encoding: .utf8)
        _ = try await registry.addClientCertificate(aspID: aspA.id, pem: pemA, by: .asp(aspA.id))
        _ = try await registry.addClientCertificate(aspID: aspB.id, pem: pemB, by: .registryOperator)

        let identity = try EPPTLSIdentity.selfSigned(hostnames: ["localhost"], ipAddresses: [[127, 0, 0, 1]])
        try Data(identity.certificateChainPEM.utf8).write(to: directory.appendingPathComponent("server.pem"))
        let server = EPPServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, tls: identity, maxFrameSize: maxFrameSize, idleTimeout: idleTimeout),
            registry: registry)
        try await server.start()
        let port = try #require(server.localPort)
        let live = LiveEPP(
            server: server, registry: registry, store: store, port: port, directory: directory, aspA: aspA,
            aspB: aspB, owner: owner, mno: mno)
        do {
            let result = try await body(live)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// Runs a Python script (text) with a JSON document on stdin; answers its stdout parsed as JSON.
    func python(_ script: String, input: [String: Any]) async throws -> [String: Any] {
        let url = directory.appendingPathComponent("script-\(UUID().uuidString).py")
        try Data(script.utf8).write(to: url)
        let stdin = try JSONSerialization.data(withJSONObject: input)
        let result = try await PeerTool.runDetached("python3", [url.path], stdin: stdin, timeout: 120)
        try #require(result.status == 0, "python: \(result.stderr.suffix(3000))")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(result.stdout.prefix(500))")
    }

    static func eid(_ n: Int) -> String {
        (try? EID.withCheckDigits(body: "8904903200" + String(format: "%020d", n)).digits) ?? ""
    }

    static func iccid(_ n: Int) -> String {
        (try? ICCID.withCheckDigit(body: "898812345678" + String(format: "%07d", n)).digits) ?? ""
    }

    /// xmllint against the schemas kept in Sources/EPP/Schemas.
    static func validate(_ documents: [String]) throws {
        let schema = PeerTool.packageRoot().appendingPathComponent("Sources/EPP/Schemas/iotreg-epp.xsd").path
        let directory = try PeerTool.temporaryDirectory("epp-xsd")
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, document) in documents.enumerated() {
            let url = directory.appendingPathComponent("r\(index).xml")
            try Data(document.utf8).write(to: url)
            paths.append(url.path)
        }
        let result = try PeerTool.run("xmllint", ["--noout", "--schema", schema] + paths)
        #expect(result.status == 0, "xmllint: \(result.stderr.prefix(3000))")
    }
}
