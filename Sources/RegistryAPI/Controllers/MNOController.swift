import Foundation
import HTTPTypes
import Hummingbird
import RegistryCore

/// The MNO channel: tasks out (long-polled), results in, the payload to deliver, eUICC status.
struct MNOController {
    let registry: Registry

    /// The longest a `GET /v1/mno/tasks?wait=` holds the request open.
    static let maxWait = 5.0

    func register(on router: Router<RegistryRequestContext>) {
        router.get("/v1/mno/tasks") { request, context in
            let limit = try request.pageLimit()
            let wait = try Self.wait(request)
            let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
            var tasks = try await registry.fetchTasks(limit: limit, by: context.principal)
            // Long poll: the task table is the only truth (several nodes may write it), so look again every 100 ms.
            while tasks.isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                tasks = try await registry.fetchTasks(limit: limit, by: context.principal)
            }
            return try JSONResponse.make(Page(items: tasks.map(TaskView.init), next: nil))
        }
        router.post("/v1/mno/tasks/:id/result") { request, context in
            let body = try await request.decodeJSON(TaskResultRequest.self, allowedKeys: TaskResultRequest.keys)
            let answer = try await registry.submitTaskResult(
                try context.parameters.require("id"), try body.result(), by: context.principal)
            return try JSONResponse.make(
                TaskAnswerView(task: TaskView(answer.task), certificate: try answer.certificate.map(registry.chainPEM)))
        }
        router.get("/v1/devices/:eid/tasks") { _, context in
            let tasks = try await registry.tasks(try context.parameters.require("eid"), by: context.principal)
            return try JSONResponse.make(Page(items: tasks.map(TaskView.init), next: nil))
        }
        router.get("/v1/devices/:eid/payload") { _, context in
            let payload = try await registry.currentPayload(
                try context.parameters.require("eid"), by: context.principal)
            var headers = HTTPFields()
            headers[.contentType] = "application/cose; cose-type=\"cose-sign1\""
            if let name = HTTPField.Name("Payload-Sequence") { headers[name] = String(payload.sequence) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: payload.bytes)))
        }
        router.post("/v1/devices/:eid/euicc-status") { request, context in
            let body = try await request.decodeJSON(EUICCStatusRequest.self, allowedKeys: ["status"])
            guard let status = EUICCStatus(rawValue: body.status) else {
                throw Problem(
                    status: .unprocessableContent, code: "invalid-input",
                    detail: "status must be one of \(EUICCStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            _ = try await registry.reportEUICCStatus(
                try context.parameters.require("eid"), status, by: context.principal)
            return Response(status: .noContent)
        }
    }

    static func wait(_ request: Request) throws -> Double {
        guard let text = request.uri.queryParameters.get("wait") else { return 0 }
        guard let seconds = Double(text), seconds >= 0, seconds <= maxWait else {
            throw Problem(
                status: .unprocessableContent, code: "invalid-input",
                detail: "wait is a number of seconds from 0 to \(Int(maxWait))")
        }
        return seconds
    }
}

/// A task as the MNO sees it.
struct TaskView: Codable, Sendable {
    var id: String
    var kind: String
    var eid: String
    var state: String
    var attempt: Int
    var payloadSequence: Int64?
    var outcome: String?
    var createdAt: Date
    var updatedAt: Date

    init(_ task: MNOTask) {
        id = task.id
        kind = task.kind.rawValue
        eid = task.eid.digits
        state = task.state.rawValue
        attempt = task.attempt
        payloadSequence = task.payloadSequence
        outcome = task.outcome
        createdAt = task.createdAt
        updatedAt = task.updatedAt
    }
}

struct TaskAnswerView: Codable, Sendable {
    var task: TaskView
    /// The issued certificate and its issuing CA (PEM), for a `csr` answer.
    var certificate: String?
}

/// `POST /v1/mno/tasks/{id}/result`.
struct TaskResultRequest: Decodable, Sendable {
    static let keys: Set<String> = ["outcome", "csr", "keyAgreementPublicKey", "payloadSequence", "reason", "retry"]

    var outcome: String
    var csr: String?
    var keyAgreementPublicKey: String?
    var payloadSequence: Int64?
    var reason: String?
    var retry: Bool?

    func result() throws -> MNOTaskResult {
        switch outcome {
        case "csr":
            guard let csr, !csr.isEmpty else { throw Self.missing("csr", for: "csr") }
            var agreement: [UInt8]?
            if let text = keyAgreementPublicKey {
                guard let data = Data(base64Encoded: text) else {
                    throw Problem(
                        status: .unprocessableContent, code: "invalid-input",
                        detail: "keyAgreementPublicKey is not base64")
                }
                agreement = Array(data)
            }
            return .csr(Array(csr.utf8), keyAgreementPublicKey: agreement)
        case "delivered":
            guard let payloadSequence else { throw Self.missing("payloadSequence", for: "delivered") }
            return .delivered(sequence: payloadSequence)
        case "wiped":
            return .wiped
        case "failed":
            guard let reason, !reason.isEmpty else { throw Self.missing("reason", for: "failed") }
            return .failed(reason: reason, retry: retry ?? false)
        default:
            throw Problem(
                status: .unprocessableContent, code: "invalid-input",
                detail: "outcome must be csr, delivered, wiped or failed (got '\(outcome)')")
        }
    }

    static func missing(_ field: String, for outcome: String) -> Problem {
        Problem(
            status: .unprocessableContent, code: "invalid-input",
            detail: "outcome '\(outcome)' needs the field '\(field)'")
    }
}

struct EUICCStatusRequest: Decodable, Sendable {
    var status: String
}
