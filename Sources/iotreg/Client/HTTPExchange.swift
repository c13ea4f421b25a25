import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request and its whole answer, through AsyncHTTPClient's process-wide client.
///
/// Why not URLSession: on Linux it runs on libcurl, whose handle teardown races with cancellation and timeouts
/// (swift-corelibs-foundation's URLSession._MultiHandle); a registry that posts webhooks and a CLI that polls jobs
/// must not crash on a slow peer.
struct HTTPExchange {
    struct Reply {
        var status: Int
        var contentType: String
        var body: Data
    }

    /// The largest answer read.
    static let maxResponseBytes = 64 << 20

    static func send(
        _ method: String, _ url: URL, headers: [(String, String)] = [], body: Data? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: maxResponseBytes)
        return Reply(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "",
            body: Data(buffer.readableBytesView))
    }
}
