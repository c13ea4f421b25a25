import Foundation
public import Hummingbird
public import RegistryCore

/// What the REST API needs from the process that hosts it.
public struct RegistryAPIOptions: Sendable {
    /// Prometheus text exposition for `GET /metrics` (the host owns the metrics system).
    public var metrics: @Sendable () -> String
    /// Whether the store answers (for `/healthz`).
    public var health: @Sendable () async -> Bool
    /// The HMAC key a tenant's webhook notifications are signed with, shown when it sets its URL (nil: webhooks are
    /// not offered by this host).
    public var webhookSecret: (@Sendable (_ tenantID: String, _ url: String) -> String)?

    public init(
        metrics: @escaping @Sendable () -> String = { "" },
        health: @escaping @Sendable () async -> Bool = { true },
        webhookSecret: (@Sendable (_ tenantID: String, _ url: String) -> String)? = nil
    ) {
        self.metrics = metrics
        self.health = health
        self.webhookSecret = webhookSecret
    }
}

/// Builds the REST router of INTERFACE.md over a registry.
///
/// The router knows HTTP only: every decision is the core's. Errors leave as RFC 9457 problem+json.
public func buildRouter(registry: Registry, scheduler: JobScheduler, options: RegistryAPIOptions = .init())
    -> Router<RegistryRequestContext>
{
    let router = Router(context: RegistryRequestContext.self)
    router.addMiddleware {
        MetricsMiddleware()
        ProblemMiddleware()
        AuthenticationMiddleware(registry: registry)
    }
    TenantController(registry: registry).register(on: router)
    DeviceController(registry: registry).register(on: router)
    TransferController(registry: registry).register(on: router)
    JobController(registry: registry, scheduler: scheduler).register(on: router)
    CertificateController(registry: registry).register(on: router)
    MNOController(registry: registry).register(on: router)
    WebhookController(registry: registry, secret: options.webhookSecret).register(on: router)

    router.get("/healthz") { _, _ in
        let healthy = await options.health()
        return try JSONResponse.make(["status": healthy ? "ok" : "unavailable"], status: healthy ? .ok : .serviceUnavailable)
    }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(string: options.metrics())))
    }
    router.get("/openapi.json") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
    }
    return router
}
