import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import RegistryAPI
import RegistryCore
import RegistryStoreSQLite
import ServiceLifecycle

/// A registry served over real HTTP on 127.0.0.1 and a free port, for one test; stops when the body returns.
struct LiveRegistry {
    let baseURL: URL
    let registry: Registry
    let scheduler: JobScheduler
    let operatorToken: String
    /// The EST TLS listener (same router, client certificates optional), when asked for.
    let estURL: URL?

    /// A JSON answer from the server.
    struct Reply {
        var status: Int
        var contentType: String
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func run<T>(
        configuration: RegistryConfiguration = .init(), storePath: String = ":memory:", pki: RegistryPKI? = nil,
        estTLS: Bool = false, clock: (@Sendable () -> Date)? = nil, _ body: (LiveRegistry) async throws -> T
    ) async throws -> T {
        let store = try SQLiteRegistryStore(path: storePath)
        try await store.migrate()
        let registry = Registry(
            store: store, configuration: configuration, pki: try pki ?? CertificateFixture.pki(),
            clock: clock ?? { Date() })
        let token = try await registry.bootstrapOperator()
        let scheduler = JobScheduler(registry: registry)
        let router = buildRouter(
            registry: registry, scheduler: scheduler,
            options: RegistryAPIOptions(webhookSecret: { tenant, url in "test-key-\(tenant)-\(url.count)" }))
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        var services: [any Service] = [app]
        if estTLS {
            let tls = try ESTTLSListener.configuration(
                registry: registry, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            services.append(
                Application(
                    router: buildRouter(registry: registry, scheduler: scheduler),
                    server: try .tls(.http1(), configuration: tls),
                    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { channel in portContinuation.yield(-(channel.localAddress?.port ?? 0)) },
                    logger: logger))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = portStream.makeAsyncIterator()
            var port = 0
            var estPort = 0
            while port == 0 || (estTLS && estPort == 0) {
                guard let next = await iterator.next() else { throw CancellationError() }
                if next < 0 { estPort = -next } else { port = next }
            }
            let live = LiveRegistry(
                baseURL: URL(string: "http://127.0.0.1:\(port)")!, registry: registry, scheduler: scheduler,
                operatorToken: token.secret, estURL: estTLS ? URL(string: "https://127.0.0.1:\(estPort)")! : nil)
            do {
                let result = try await body(live)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Sends one request; `json` is serialised as the body, `raw` is sent as is.
    func request(
        _ method: String, _ path: String, token: String? = nil, json: Any? = nil, raw: Data? = nil,
        contentType: String? = nil
    ) async throws -> Reply {
        var headers: [(String, String)] = []
        var body: Data?
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let json {
            body = try JSONSerialization.data(withJSONObject: json)
            headers.append(("Content-Type", contentType ?? "application/json"))
        } else if let raw {
            body = raw
            headers.append(("Content-Type", contentType ?? "application/json"))
        }
        let reply = try await TestHTTP.send(
            method, URL(string: path, relativeTo: baseURL)!, headers: headers, body: body)
        return Reply(status: reply.status, contentType: reply.contentType, body: reply.body)
    }

    // MARK: - fixtures

    /// Tenants of the city story, onboarded over the API.
    struct Cast {
        var parkoServ: (id: String, token: String)
        var carParkServ: (id: String, token: String)
        var city: (id: String, token: String)
        var otherOwner: (id: String, token: String)
        var telco: (id: String, token: String)
        var otherMNO: (id: String, token: String)
    }

    func onboardCast() async throws -> Cast {
        func onboard(_ path: String, _ body: [String: Any]) async throws -> (String, String) {
            let reply = try await request("POST", path, token: operatorToken, json: body)
            guard reply.status == 201, let id = reply.json["id"] as? String, let token = reply.json["token"] as? String
            else { throw TestFailure("onboarding \(path) failed: \(reply.status) \(reply.text)") }
            return (id, token)
        }
        return Cast(
            parkoServ: try await onboard(
                "/v1/asps", ["name": "ParkoServ", "fqdn": "iot.parkoserv.test", "port": 8884]),
            carParkServ: try await onboard(
                "/v1/asps", ["name": "CarParkServ", "fqdn": "iot.carparkserv.test", "port": 8883]),
            city: try await onboard("/v1/owners", ["name": "City of Ottawa"]),
            otherOwner: try await onboard("/v1/owners", ["name": "Another City"]),
            telco: try await onboard("/v1/mnos", ["name": "Telco"]),
            otherMNO: try await onboard("/v1/mnos", ["name": "Other Telco"]))
    }

    static func eid(_ n: Int) -> String { try! EID.withCheckDigits(body: String(format: "8904903200%020d", n)).digits }
    static func iccid(_ n: Int) -> String {
        try! ICCID.withCheckDigit(body: String(format: "898822800%010d", n)).digits
    }

    func registerDevice(_ n: Int, cast: Cast) async throws -> String {
        let eid = Self.eid(n)
        let reply = try await request(
            "POST", "/v1/devices", token: cast.parkoServ.token,
            json: [
                "eid": eid, "iccid": Self.iccid(n), "owner": cast.city.id, "mno": cast.telco.id, "model": "SParkometer",
            ])
        guard reply.status == 201 else { throw TestFailure("register failed: \(reply.status) \(reply.text)") }
        return eid
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
