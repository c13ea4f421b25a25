import Foundation
import Hummingbird
import RegistryCore

/// `PUT /v1/asps/{id}/webhook`: where an ASP is told of its devices' changes, and the key that signs them.
struct WebhookController {
    let registry: Registry
    let secret: (@Sendable (String, String) -> String)?

    func register(on router: Router<RegistryRequestContext>) {
        // A host that sends no webhooks does not offer the route (404), rather than failing it (5xx).
        guard let secret else { return }
        router.put("/v1/asps/:id/webhook") { request, context in
            let body = try await request.decodeJSON(WebhookRequest.self, allowedKeys: ["url"])
            let hook = try await registry.setWebhook(
                tenantID: try context.parameters.require("id"), url: body.url, by: context.principal)
            return try JSONResponse.make(
                WebhookView(url: hook.url, secret: secret(hook.tenantID, hook.url), signature: WebhookView.scheme))
        }
    }
}

struct WebhookRequest: Decodable, Sendable {
    var url: String
}

struct WebhookView: Codable, Sendable {
    static let scheme =
        "X-IoTReg-Signature: sha256=hex(HMAC-SHA256(base64url-decoded secret, \"<X-IoTReg-Timestamp>.<body>\"))"
    var url: String
    /// The HMAC key (base64url); the same URL set again answers the same key.
    var secret: String
    var signature: String
}
