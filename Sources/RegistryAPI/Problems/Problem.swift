import Foundation
public import Hummingbird
public import RegistryCore

/// An RFC 9457 problem detail, rendered as `application/problem+json`.
///
/// Every refusal of the REST API is one of these, with a stable `type` per error code and a `detail` that says
/// what was wrong and what to do. Internal errors become a bare 500 whose details go only to the log.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// Stable machine-readable code (`invalid-input`, `not-found` …); `type` is derived from it.
    public var code: String
    public var detail: String

    public init(status: HTTPResponse.Status, code: String, detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }

    /// The problem for a core refusal.
    public init(_ error: RegistryError) {
        let code = error.code
        let status: HTTPResponse.Status =
            switch code {
            case .invalidInput: .unprocessableContent
            case .unauthenticated: .unauthorized
            case .forbidden, .invalidAuthorization: .forbidden
            case .notFound: .notFound
            case .alreadyExists, .invalidTransition, .conflict: .conflict
            default: .serviceUnavailable
            }
        self.init(status: status, code: Self.kebab(code.description), detail: error.reason)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: Any] = [
            "type": "https://iotregistry.test/problems/\(code)",
            "title": status.reasonPhrase,
            "status": Int(status.code),
            "detail": detail,
            "code": code,
        ]
        object["instance"] = request.uri.path
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"iotreg\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func kebab(_ camel: String) -> String {
        var result = ""
        for character in camel {
            if character.isUppercase && !result.isEmpty {
                result += "-" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(status: .badRequest, code: "malformed-request", detail: detail)
    }
}
