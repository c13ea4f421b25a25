import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request from a test to a registry on loopback, through AsyncHTTPClient's shared client (URLSession on
/// Linux can crash the whole test process when a request is cancelled or times out while its session tears down).
enum TestHTTP {
    struct Reply {
        var status: Int
        var contentType: String
        var body: Data
    }

    static func send(_ method: String, _ url: URL, headers: [(String, String)], body: Data?) async throws -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Reply(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "",
            body: Data(buffer.readableBytesView))
    }
}
