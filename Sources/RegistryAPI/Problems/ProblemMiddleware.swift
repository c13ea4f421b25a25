import Foundation
public import Hummingbird
import Logging
import RegistryCore

/// Turns every error into problem+json: core refusals keep their code, framework errors their status, and anything
/// else becomes a 500 whose details are logged, never sent.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as RegistryError {
            return try Problem(error).response(from: request, context: context)
        } catch let error as HTTPError {
            let detail =
                switch error.status {
                case .notFound: "no such resource: \(request.method) \(request.uri.path)"
                case .contentTooLarge: "the request body is larger than this endpoint accepts"
                case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
                default: error.body ?? error.status.reasonPhrase
                }
            return try Problem(status: error.status, code: Problem.kebab(error.status.reasonPhrase.replacingOccurrences(of: " ", with: "")), detail: detail)
                .response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try Problem(status: error.status, code: "http-\(error.status.code)", detail: error.status.reasonPhrase)
                .response(from: request, context: context)
        } catch {
            context.logger.error("internal error", metadata: ["error": "\(String(reflecting: error))"])
            return try Problem(status: .internalServerError, code: "internal", detail: "internal error; see the server log")
                .response(from: request, context: context)
        }
    }
}
