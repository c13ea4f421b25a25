public import Hummingbird
public import RegistryCore

/// Establishes the caller from `Authorization: Bearer TOKEN`.
///
/// No header means anonymous, which only the public routes accept (everything else answers 401 before any work);
/// a malformed header or an unknown token is refused with 401 at once, so a typo never silently downgrades a
/// caller to anonymous.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = RegistryRequestContext
    let registry: Registry

    public init(registry: Registry) { self.registry = registry }

    /// Routes anyone may call: public status, CA material, revocation, EST, and operations endpoints.
    static func isPublic(_ path: String) -> Bool {
        ["/v1/public/", "/.well-known/", "/crl/", "/ocsp"].contains { path.hasPrefix($0) }
            || ["/healthz", "/metrics", "/openapi.json"].contains(path)
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
                throw Problem(
                    status: .unauthorized, code: "unauthenticated",
                    detail: "the Authorization header must be 'Bearer <token>'")
            }
            context.principal = try await registry.authenticate(token: String(parts[1]))
        } else if !Self.isPublic(request.uri.path) {
            throw Problem(
                status: .unauthorized, code: "unauthenticated",
                detail: "this endpoint needs 'Authorization: Bearer <token>'")
        }
        return try await next(request, context)
    }
}
