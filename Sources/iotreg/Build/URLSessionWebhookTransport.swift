import Foundation
import RegistryProvisioning

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Webhook POSTs over URLSession, 10 s each.
struct URLSessionWebhookTransport: WebhookTransport {
    func post(url: String, body: [UInt8], headers: [String: String]) async throws -> Int {
        guard let target = URL(string: url) else { throw CLIError("bad webhook URL \(url)") }
        var request = URLRequest(url: target, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
