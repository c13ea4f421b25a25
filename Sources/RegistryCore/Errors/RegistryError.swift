/// Every refusal the registry core makes, with a reason a user can act on.
///
/// The core never speaks HTTP or EPP; the edges map ``Code`` to a status (REST problem+json, EPP result codes).
/// Equality compares the code only, so tests assert codes rather than wording. A reason never contains a secret
/// (token, transfer code, key).
public struct RegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The class of refusal; new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidInput, unauthenticated, forbidden, notFound, alreadyExists, invalidTransition
            case invalidAuthorization, conflict, unavailable
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The request is malformed or a value fails its checks (check digits, lengths, formats).
        public static let invalidInput = Code(.invalidInput)
        /// No credentials, or credentials that match nobody.
        public static let unauthenticated = Code(.unauthenticated)
        /// The caller's role may not do this at all (another tenant's objects are `notFound` instead).
        public static let forbidden = Code(.forbidden)
        /// The object does not exist, or belongs to a tenant the caller may not see.
        public static let notFound = Code(.notFound)
        /// An object with this identifier exists already.
        public static let alreadyExists = Code(.alreadyExists)
        /// The object's state does not allow the operation (the reason names the state and what is allowed).
        public static let invalidTransition = Code(.invalidTransition)
        /// A transfer code is wrong, used, expired or not for this device.
        public static let invalidAuthorization = Code(.invalidAuthorization)
        /// A concurrent change won; retrying the request may succeed.
        public static let conflict = Code(.conflict)
        /// The store cannot serve the request right now.
        public static let unavailable = Code(.unavailable)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(reason)" }

    public static func == (lhs: RegistryError, rhs: RegistryError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public static func invalidInput(_ reason: String, file: String = #fileID, line: Int = #line) -> RegistryError {
        RegistryError(.invalidInput, reason, file: file, line: line)
    }
    public static func notFound(_ reason: String, file: String = #fileID, line: Int = #line) -> RegistryError {
        RegistryError(.notFound, reason, file: file, line: line)
    }
    public static func forbidden(_ reason: String, file: String = #fileID, line: Int = #line) -> RegistryError {
        RegistryError(.forbidden, reason, file: file, line: line)
    }
    public static func unauthenticated(_ reason: String, file: String = #fileID, line: Int = #line) -> RegistryError {
        RegistryError(.unauthenticated, reason, file: file, line: line)
    }
}
