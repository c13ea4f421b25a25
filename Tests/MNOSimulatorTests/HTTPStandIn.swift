import Foundation
import Hummingbird
import Logging
import MNOSimulator
import NIOCore
import ServiceLifecycle

/// The fake registry served over real HTTP on 127.0.0.1 and a free port (Hummingbird), with the contract's paths,
/// bearer token, JSON, `application/cose` and problem+json errors; stops when `body` returns.
func withHTTPStandIn<T: Sendable>(
    _ fake: FakeMNOChannel, token: String, _ body: @Sendable (URL) async throws -> T
) async throws -> T {
    let router = Router()
    @Sendable func authorised(_ request: Request) -> Bool { request.headers[.authorization] == "Bearer \(token)" }
    @Sendable func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }
    @Sendable func problem(_ status: Int, _ detail: String) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["title": "refused", "detail": detail])) ?? Data()
        return Response(
            status: .init(code: status), headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
    @Sendable func answer(_ work: () async throws -> Response) async -> Response {
        do {
            return try await work()
        } catch let error as MNOSimulatorError {
            return problem(error.httpStatus ?? 500, error.reason)
        } catch {
            return problem(400, "\(error)")
        }
    }
    router.get("/v1/mno/tasks") { request, _ -> Response in
        guard authorised(request) else { return problem(401, "unknown MNO token") }
        let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 10
        let wait = request.uri.queryParameters.get("wait", as: Int.self) ?? 0
        return await answer { try json(try await fake.fetchTasks(limit: limit, wait: wait)) }
    }
    router.post("/v1/mno/tasks/:id/result") { request, context -> Response in
        guard authorised(request) else { return problem(401, "unknown MNO token") }
        let id = try context.parameters.require("id")
        let bytes = Array(buffer: try await request.body.collect(upTo: 1 << 20))
        return await answer {
            let result = try JSONDecoder().decode(MNOTaskResult.self, from: Data(bytes))
            return try json(try await fake.postResult(taskID: id, result))
        }
    }
    router.get("/v1/devices/:eid/payload") { request, context -> Response in
        guard authorised(request) else { return problem(401, "unknown MNO token") }
        let eid = try context.parameters.require("eid")
        return await answer {
            Response(
                status: .ok, headers: [.contentType: "application/cose"],
                body: .init(byteBuffer: ByteBuffer(bytes: try await fake.fetchPayload(eid: eid))))
        }
    }
    router.post("/v1/devices/:eid/euicc-status") { request, context -> Response in
        guard authorised(request) else { return problem(401, "unknown MNO token") }
        let eid = try context.parameters.require("eid")
        let bytes = Array(buffer: try await request.body.collect(upTo: 4096))
        return await answer {
            let status = try JSONDecoder().decode([String: EUICCStatus].self, from: Data(bytes))
            guard let value = status["status"] else { return problem(422, "status missing") }
            try await fake.reportStatus(eid: eid, status: value)
            return Response(status: .noContent)
        }
    }
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "mno-standin")
    logger.logLevel = .warning
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
    let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), let url = URL(string: "http://127.0.0.1:\(port)") else {
            throw CancellationError()
        }
        do {
            let result = try await body(url)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
