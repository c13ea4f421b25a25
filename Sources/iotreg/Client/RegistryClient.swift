import ArgumentParser
import Foundation

/// Where the running registry is and who we are to it.
struct ClientOptions: ParsableArguments {
    @Option(help: "The registry's REST URL (default $IOTREG_URL or http://127.0.0.1:8080).")
    var url: String?

    @Option(help: "Bearer token (default $IOTREG_TOKEN).")
    var token: String?

    func client() throws -> RegistryClient {
        let environment = ProcessInfo.processInfo.environment
        let base = url ?? environment["IOTREG_URL"] ?? "http://127.0.0.1:8080"
        guard let baseURL = URL(string: base) else { throw ValidationError("--url '\(base)' is not a URL") }
        return RegistryClient(baseURL: baseURL, token: token ?? environment["IOTREG_TOKEN"])
    }
}

/// A small REST client for the CLI: JSON in, JSON out, problems turned into readable errors.
struct RegistryClient {
    let baseURL: URL
    let token: String?

    /// Sends a request and returns the decoded JSON object (or array), throwing the server's problem detail.
    @discardableResult
    func send(
        _ method: String, _ path: String, json: Any? = nil, body: Data? = nil, contentType: String? = nil
    ) async throws -> Any {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw CLIError("bad path \(path)") }
        var headers: [(String, String)] = []
        var payload: Data?
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let json {
            payload = try JSONSerialization.data(withJSONObject: json)
            headers.append(("Content-Type", "application/json"))
        } else if let body {
            payload = body
            headers.append(("Content-Type", contentType ?? "application/octet-stream"))
        }
        let reply: HTTPExchange.Reply
        do { reply = try await HTTPExchange.send(method, url, headers: headers, body: payload) } catch {
            throw CLIError("\(method) \(url.absoluteString) failed: \(error); is the registry running there?")
        }
        let (data, status) = (reply.body, reply.status)
        let object = data.isEmpty ? [String: Any]() : (try? JSONSerialization.jsonObject(with: data)) ?? [:]
        guard (200..<300).contains(status) else {
            let detail = (object as? [String: Any])?["detail"] as? String ?? String(decoding: data, as: UTF8.self)
            throw CLIError("\(method) \(path) failed (\(status)): \(detail)")
        }
        return object
    }
}

/// Prints JSON for people and scripts alike.
func printJSON(_ object: Any) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Flushes standard output (progress bars, the "serving" line scripts wait for).
func flushStandardOutput() {
    fflush(nil)
}
