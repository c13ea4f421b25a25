/// The one error type of the DNSServer module.
///
/// Equality compares ``code`` only, so tests assert codes. No ``reason`` ever contains key material.
public struct DNSServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an open set.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case badConfiguration, bindFailed, badTSIG, notRunning, staleSerial
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// A configuration value is unusable (a bad certificate or key, a TSIG secret of the wrong shape).
        public static let badConfiguration = Code(.badConfiguration)
        /// A listening socket could not be bound (address in use, no permission).
        public static let bindFailed = Code(.bindFailed)
        /// A TSIG record is malformed, uses an unknown key or algorithm, or its MAC or time does not verify.
        public static let badTSIG = Code(.badTSIG)
        /// The server is not running (start it first, or it was shut down).
        public static let notRunning = Code(.notRunning)
        /// A published zone's serial is not after the current one (RFC 1982), so secondaries would ignore it.
        public static let staleSerial = Code(.staleSerial)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What to do about it.
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "DNSServerError.\(code): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
