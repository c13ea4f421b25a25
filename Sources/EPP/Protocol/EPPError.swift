/// Every refusal the EPP layer makes before (or instead of) calling the registry core.
///
/// Each code carries the EPP result code it is answered with (RFC 5730 §3), so the session maps errors at one
/// place. Equality compares the code only; tests assert codes. A reason never contains a password or authInfo.
public struct EPPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The class of refusal; new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case malformedXML, forbiddenDeclaration, limitExceeded, unsupportedEncoding
            case notEPP, unknownCommand, unimplementedCommand, unimplementedObject, unimplementedOption
            case missingElement, invalidValue, outOfRange, useError, policy
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// Not well-formed XML (2001).
        public static let malformedXML = Code(.malformedXML)
        /// A DTD, entity declaration or entity reference: an XXE or expansion attempt (2001, session closed).
        public static let forbiddenDeclaration = Code(.forbiddenDeclaration)
        /// Nesting, element count, attribute count or text length over the configured bound (2001, closed).
        public static let limitExceeded = Code(.limitExceeded)
        /// An encoding other than UTF-8 (2001).
        public static let unsupportedEncoding = Code(.unsupportedEncoding)
        /// Well-formed, but not an EPP 1.0 document: wrong root or namespace (2001).
        public static let notEPP = Code(.notEPP)
        /// An element in the EPP namespace where a command should be, that EPP does not define (2000).
        public static let unknownCommand = Code(.unknownCommand)
        /// An EPP command this server does not offer, such as `renew` (2101).
        public static let unimplementedCommand = Code(.unimplementedCommand)
        /// An object namespace this server does not manage, such as the domain mapping (2307).
        public static let unimplementedObject = Code(.unimplementedObject)
        /// An option this server does not offer, such as `newPW` or a language other than `en` (2102).
        public static let unimplementedOption = Code(.unimplementedOption)
        /// A required element or attribute is absent (2003).
        public static let missingElement = Code(.missingElement)
        /// A value fails its syntax (an EID that is not 32 digits with valid check digits) (2005).
        public static let invalidValue = Code(.invalidValue)
        /// A value outside the range this server allows, such as a list page over 1,000 (2004).
        public static let outOfRange = Code(.outOfRange)
        /// The command is not allowed now: before login, or a second login (2002).
        public static let useError = Code(.useError)
        /// Well-formed and understood, but against this server's policy (2306).
        public static let policy = Code(.policy)

        public var description: String { value.rawValue }

        /// The EPP result code this refusal is answered with.
        public var resultCode: EPPResultCode {
            switch value {
            case .malformedXML, .forbiddenDeclaration, .limitExceeded, .unsupportedEncoding, .notEPP:
                .commandSyntaxError
            case .unknownCommand: .unknownCommand
            case .unimplementedCommand: .unimplementedCommand
            case .unimplementedObject: .unimplementedObjectService
            case .unimplementedOption: .unimplementedOption
            case .missingElement: .requiredParameterMissing
            case .invalidValue: .parameterValueSyntaxError
            case .outOfRange: .parameterValueRangeError
            case .useError: .commandUseError
            case .policy: .parameterValuePolicyError
            }
        }

        /// Whether the session must end after answering: hostile input is not given a second try.
        public var closesSession: Bool { self == .forbiddenDeclaration || self == .limitExceeded }
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

    public static func == (lhs: EPPError, rhs: EPPError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    static func malformedXML(_ reason: String, file: String = #fileID, line: Int = #line) -> EPPError {
        EPPError(.malformedXML, reason, file: file, line: line)
    }
    static func forbiddenDeclaration(_ reason: String, file: String = #fileID, line: Int = #line) -> EPPError {
        EPPError(.forbiddenDeclaration, reason, file: file, line: line)
    }
    static func limitExceeded(_ reason: String, file: String = #fileID, line: Int = #line) -> EPPError {
        EPPError(.limitExceeded, reason, file: file, line: line)
    }
    static func unsupportedEncoding(_ reason: String, file: String = #fileID, line: Int = #line) -> EPPError {
        EPPError(.unsupportedEncoding, reason, file: file, line: line)
    }
    static func missing(_ what: String, file: String = #fileID, line: Int = #line) -> EPPError {
        EPPError(.missingElement, "\(what) is required", file: file, line: line)
    }
}
