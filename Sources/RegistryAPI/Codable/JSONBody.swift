public import Foundation
public import Hummingbird
import RegistryCore

/// Reading request bodies with limits and messages that say exactly what is wrong.
extension Request {
    /// The body as bytes, refusing more than `limit` with 413.
    public func bodyBytes(limit: Int) async throws -> Data {
        var request = self
        let buffer = try await request.collectBody(upTo: limit)
        return Data(buffer.readableBytesView)
    }

    /// The body as UTF-8 text (PEM, CSV), refusing more than `limit` with 413.
    public func bodyText(limit: Int) async throws -> String {
        let data = try await bodyBytes(limit: limit)
        guard let text = String(data: data, encoding: .utf8) else {
            throw Problem.badRequest("the body is not UTF-8 text")
        }
        return text
    }

    /// Decodes a JSON object body into `T`, refusing malformed JSON, wrong types and unknown fields.
    ///
    /// - Parameters:
    ///   - allowedKeys: the object's accepted top-level keys; anything else is refused, so a misspelt optional
    ///     field is reported instead of silently ignored.
    ///   - limit: the largest body accepted (413 above it).
    public func decodeJSON<T: Decodable>(_ type: T.Type, allowedKeys: Set<String>, limit: Int = 1 << 20)
        async throws -> T
    {
        if let contentType = headers[.contentType], !contentType.lowercased().contains("json") {
            throw Problem(
                status: .unsupportedMediaType, code: "unsupported-media-type",
                detail: "send the body as application/json (got \(contentType))")
        }
        let data = try await bodyBytes(limit: limit)
        return try JSONBody.decode(type, from: data, allowedKeys: allowedKeys)
    }
}

/// JSON decoding with precise errors.
public enum JSONBody {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, allowedKeys: Set<String>) throws -> T {
        guard !data.isEmpty else { throw Problem.badRequest("the request body is empty; send a JSON object") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw Problem.badRequest("the body is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw Problem.badRequest("the body must be a JSON object")
        }
        let unknown = Set(dictionary.keys).subtracting(allowedKeys)
        if let first = unknown.sorted().first {
            throw Problem(
                status: .unprocessableContent, code: "invalid-input",
                detail: "unknown field '\(first)'; accepted fields: \(allowedKeys.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw Problem(status: .unprocessableContent, code: "invalid-input", detail: describe(error))
        } catch let error as RegistryError {
            throw error
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = context.codingPath.isEmpty ? "" : path(context.codingPath) + "."
            return "missing required field '\(prefix)\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type)), not null"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? RegistryError {
                return "field '\(path(context.codingPath))': \(underlying.reason)"
            }
            return "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected shape"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "a JSON \(type)"
        }
    }
}

/// Query parameters with validation.
extension Request {
    /// `limit` in 1...max (default `defaultValue`).
    public func pageLimit(default defaultValue: Int = 100, max: Int = 1000) throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return defaultValue }
        guard let value = Int(text), (1...max).contains(value) else {
            throw Problem(
                status: .unprocessableContent, code: "invalid-input",
                detail: "limit must be an integer from 1 to \(max)")
        }
        return value
    }
}

/// Encoding responses.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.string(date))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
