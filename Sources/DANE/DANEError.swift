/// The one error type of the DANE module.
///
/// Equality compares ``code`` only, so tests assert codes. No ``reason`` ever contains key material.
public struct DANEError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an open set.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case bogus, indeterminate, pinMismatch, timeout, connectionFailed, malformedResponse, noTrustAnchor
            case badCertificate
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// A trust anchor covers the name but the answer does not validate (bad signature, wrong anchor, broken
        /// proof): treat as an attack, never as absence.
        public static let bogus = Code(.bogus)
        /// No verdict could be reached (the resolver failed, answered SERVFAIL/REFUSED, or sent something we do not
        /// follow, such as a CNAME): fail closed and retry later.
        public static let indeterminate = Code(.indeterminate)
        /// The DNS-over-TLS resolver presented a key that is not the pinned one (RFC 7858 §4.2).
        public static let pinMismatch = Code(.pinMismatch)
        /// No answer within the configured time.
        public static let timeout = Code(.timeout)
        /// The TCP or TLS connection to the resolver could not be made or was lost.
        public static let connectionFailed = Code(.connectionFailed)
        /// A response did not parse or did not answer the question asked.
        public static let malformedResponse = Code(.malformedResponse)
        /// No configured trust anchor is at or above the name: nothing could make it secure.
        public static let noTrustAnchor = Code(.noTrustAnchor)
        /// A presented certificate does not parse as X.509.
        public static let badCertificate = Code(.badCertificate)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What happened and what to do.
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { "DANEError.\(code): \(reason)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
