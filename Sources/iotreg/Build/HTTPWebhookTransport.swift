import Foundation
import NIOCore
import RegistryProvisioning

/// Webhook POSTs over HTTP(S), 10 s each.
struct HTTPWebhookTransport: WebhookTransport {
    func post(url: String, body: [UInt8], headers: [String: String]) async throws -> Int {
        guard let target = URL(string: url) else { throw CLIError("bad webhook URL \(url)") }
        let reply = try await HTTPExchange.send(
            "POST", target, headers: headers.map { ($0.key, $0.value) }, body: Data(body), timeout: .seconds(10))
        return reply.status
    }
}
