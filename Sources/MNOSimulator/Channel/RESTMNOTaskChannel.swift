public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The registry's MNO API over HTTP(S) (INTERFACE.md): JSON bodies, `Authorization: Bearer <MNO token>`, errors as
/// `application/problem+json` whose `detail` becomes the error's reason.
///
/// One `URLSession` for the channel's life, so connections are kept alive and reused (up to `maxConnections` to the
/// registry host); a long poll gets a request timeout of its wait plus `requestTimeout`. Cancelling the calling task
/// cancels the request.
public final class RESTMNOTaskChannel: MNOTaskChannel, @unchecked Sendable {
    /// The registry's base URL, e.g. `https://registry.example:8443`.
    public let baseURL: URL
    private let token: String
    private let session: URLSession
    private let requestTimeout: TimeInterval

    /// Connects to the registry at `baseURL` with the MNO's bearer `token` (never logged).
    ///
    /// - Parameters:
    ///   - maxConnections: kept-alive connections to the registry host (match the MNO's concurrency).
    ///   - requestTimeout: timeout of a request that does not long-poll, and the margin added to a long poll.
    public init(baseURL: URL, token: String, maxConnections: Int = 32, requestTimeout: TimeInterval = 30) {
        self.baseURL = baseURL
        self.token = token
        self.requestTimeout = requestTimeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maxConnections)
        configuration.timeoutIntervalForRequest = requestTimeout + 35
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

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
    ) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: try url(segments, query: query))
        request.httpMethod = method
        request.timeoutInterval = timeout ?? requestTimeout
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue(accept, forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let what = "\(method) /\(segments.joined(separator: "/"))"
        let (data, response) = try await perform(request, what: what)
        switch response.statusCode {
        case 200..<300:
            return (data, response)
        case let status:
            throw Self.error(status: status, body: data, what: what)
        }
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

    private func perform(_ request: URLRequest, what: String) async throws -> (Data, HTTPURLResponse) {
        let handle = DataTaskHandle()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<(Data, HTTPURLResponse), any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        if (error as? URLError)?.code == .cancelled {
                            continuation.resume(throwing: CancellationError())
                        } else {
                            continuation.resume(
                                throwing: MNOSimulatorError(.transient, "\(what) failed: \(error.localizedDescription)")
                            )
                        }
                        return
                    }
                    guard let http = response as? HTTPURLResponse else {
                        continuation.resume(throwing: MNOSimulatorError(.malformedResponse, "\(what): not HTTP"))
                        return
                    }
                    continuation.resume(returning: (data ?? Data(), http))
                }
                handle.start(task)
            }
        } onCancel: {
            handle.cancel()
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw MNOSimulatorError(.malformedResponse, "the registry's \(what) does not match the contract: \(error)")
        }
    }
}

/// A data task that may be cancelled before it is started (cancellation and start race).
private final class DataTaskHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    func start(_ task: URLSessionDataTask) {
        lock.lock()
        self.task = task
        let cancelled = self.cancelled
        lock.unlock()
        if cancelled { task.cancel() }
        task.resume()
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}
