/// The one error type of MNOSimulator.
///
/// ``code`` is stable (the run loop branches on it: only ``Code/transient`` is retried); ``reason`` says what happened
/// and what to do, and never carries key material or tokens. Equality compares the code only. Refusals by the eSIM
/// itself (a tampered or stale payload) stay `DeviceKitError`s so their own codes reach the registry.
public struct MNOSimulatorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, open set of error codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case transient, notFound, conflict, unauthorized, rejected, malformedResponse, unknownDevice
            case duplicateDevice, invalidEID, stateDirectory, timedOut
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A network failure, a 5xx or a 429: worth retrying with backoff.
        public static let transient = Self(.transient)
        /// 404: the task is not this MNO's, or the device or its payload is unknown to the registry.
        public static let notFound = Self(.notFound)
        /// 409: the registry already holds a different result for the task.
        public static let conflict = Self(.conflict)
        /// 401/403: the MNO token is missing, wrong or revoked.
        public static let unauthorized = Self(.unauthorized)
        /// Another 4xx: the registry refused the request as malformed.
        public static let rejected = Self(.rejected)
        /// The registry's answer is not what the contract says.
        public static let malformedResponse = Self(.malformedResponse)
        /// No eSIM with that EID is on this network.
        public static let unknownDevice = Self(.unknownDevice)
        /// An eSIM with that EID is already in the fleet.
        public static let duplicateDevice = Self(.duplicateDevice)
        /// An EID must be 32 decimal digits.
        public static let invalidEID = Self(.invalidEID)
        /// The fleet directory cannot be read or written.
        public static let stateDirectory = Self(.stateDirectory)
        /// A wait for a condition ran out of time.
        public static let timedOut = Self(.timedOut)

        public var description: String { value.rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// What happened and what to do about it.
    public let reason: String
    /// The HTTP status, for errors answered by the registry.
    public let httpStatus: Int?

    /// Makes an error; `reason` must never contain secrets.
    public init(_ code: Code, _ reason: String, httpStatus: Int? = nil) {
        self.code = code
        self.reason = reason
        self.httpStatus = httpStatus
    }

    public var description: String { "MNOSimulatorError.\(code): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
