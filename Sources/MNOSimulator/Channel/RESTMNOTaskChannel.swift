import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The registry's MNO API over HTTP(S) (INTERFACE.md): JSON bodies, `Authorization: Bearer <MNO token>`, errors as
/// `application/problem+json` whose `detail` becomes the error's reason.
///
/// Connections come from one AsyncHTTPClient pool per process and size, kept alive and reused (up to
/// `maxConnections` to the registry host); a long poll gets a request timeout of its wait plus `requestTimeout`.
/// Cancelling the calling task cancels the request. (Not URLSession: on Linux its libcurl-based teardown races with
/// cancellation, and a simulated MNO cancels a long poll every time it stops.)
public final class RESTMNOTaskChannel: MNOTaskChannel, Sendable {
    /// The registry's base URL, e.g. `https://registry.example:8443`.
    public let baseURL: URL
    private let token: String
    private let client: HTTPClient
    private let requestTimeout: TimeInterval
    /// The largest answer read (a task page of 1,000 tasks is well under this).
    static let maxResponseBytes = 16 << 20

    /// Connects to the registry at `baseURL` with the MNO's bearer `token` (never logged).
    ///
    /// - Parameters:
    ///   - maxConnections: kept-alive connections to the registry host (match the MNO's concurrency).
    ///   - requestTimeout: timeout of a request that does not long-poll, and the margin added to a long poll.
    public init(baseURL: URL, token: String, maxConnections: Int = 32, requestTimeout: TimeInterval = 30) {
        self.baseURL = baseURL
        self.token = token
        self.requestTimeout = requestTimeout
        self.client = Self.pool(maxConnections: max(1, maxConnections))
    }

    /// Pools live for the process (an AsyncHTTPClient must be shut down before it is released; these never are).
    private static let pools = Mutex<[Int: HTTPClient]>([:])

    private static func pool(maxConnections: Int) -> HTTPClient {
        pools.withLock { pools in
            if let existing = pools[maxConnections] { return existing }
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
            configuration.redirectConfiguration = .disallow
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            pools[maxConnections] = client
            return client
        }
    }

    public func fetchTasks(limit: Int, wait: Int) async throws -> MNOTaskPage {
        let wait = min(max(wait, 0), 30)
        let (data, _) = try await send(
            "GET", ["v1", "mno", "tasks"],
            query: [.init(name: "limit", value: String(max(1, limit))), .init(name: "wait", value: String(wait))],
            timeout: TimeInterval(wait) + requestTimeout
        )
        return try decode(MNOTaskPage.self, data, what: "task page")
    }

    public func postResult(taskID: String, _ result: MNOTaskResult) async throws -> MNOTaskReceipt {
        let body = try JSONEncoder().encode(result)
        let (data, _) = try await send("POST", ["v1", "mno", "tasks", taskID, "result"], body: body)
        return try decode(MNOTaskReceipt.self, data, what: "task result receipt")
    }

    public func fetchPayload(eid: String) async throws -> [UInt8] {
        let (data, _) = try await send("GET", ["v1", "devices", eid, "payload"], accept: "application/cose")
        return Array(data)
    }

    public func reportStatus(eid: String, status: EUICCStatus) async throws {
        let body = try JSONEncoder().encode(["status": status.rawValue])
        _ = try await send("POST", ["v1", "devices", eid, "euicc-status"], body: body)
    }

    // MARK: - HTTP

    private func url(_ segments: [String], query: [URLQueryItem]) throws -> URL {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/;?#")
        var path = baseURL.path
        while path.hasSuffix("/") { path.removeLast() }
        for segment in segments {
            guard let encoded = segment.addingPercentEncoding(withAllowedCharacters: allowed) else {
                throw MNOSimulatorError(.rejected, "cannot put '\(segment.prefix(64))' into a URL path")
            }
            path += "/" + encoded
        }
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            throw MNOSimulatorError(.rejected, "the registry base URL \(baseURL) is not a valid URL")
        }
        components.percentEncodedPath = path
        components.queryItems = query.isEmpty ? nil : query
        guard let url = components.url else {
            throw MNOSimulatorError(.rejected, "cannot build a URL under \(baseURL)")
        }
        return url
    }

    private func send(
        _ method: String,
        _ segments: [String],
        query: [URLQueryItem] = [],
        body: Data? = nil,
        accept: String = "application/json",
        timeout: TimeInterval? = nil
    ) async throws -> (Data, Int) {
        var request = HTTPClientRequest(url: try url(segments, query: query).absoluteString)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: accept)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let what = "\(method) /\(segments.joined(separator: "/"))"
        let status: Int
        let data: Data
        do {
            let response = try await client.execute(
                request, timeout: .milliseconds(Int64((timeout ?? requestTimeout) * 1000)))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: Self.maxResponseBytes).readableBytesView)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw MNOSimulatorError(.transient, "\(what) failed: \(error)")
        }
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: data, what: what) }
        return (data, status)
    }

    static func error(status: Int, body: Data, what: String) -> MNOSimulatorError {
        var detail = "HTTP \(status)"
        if let problem = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let text = problem["detail"] as? String ?? problem["title"] as? String
        {
            detail += ": \(text.prefix(500))"
        }
        let code: MNOSimulatorError.Code =
            switch status {
            case 401, 403: .unauthorized
            case 404: .notFound
            case 409: .conflict
            case 408, 425, 429, 500...599: .transient
            default: .rejected
            }
        return MNOSimulatorError(code, "\(what) answered \(detail)", httpStatus: status)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw MNOSimulatorError(.malformedResponse, "the registry's \(what) does not match the contract: \(error)")
        }
    }
}
