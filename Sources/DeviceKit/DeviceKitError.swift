/// The one error type of DeviceKit.
///
/// ``code`` is stable and comparable (tests and callers branch on it); ``reason`` says what happened and what to do,
/// and never carries key material. Equality compares the code only.
public struct DeviceKitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, open set of error codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case statusWord, malformedResponse, malformedPayload, unsupportedVersion, untrustedSigner, badSignature
            case wrongDevice, rollback, expired, notYetValid, rootMismatch, certificateKeyMismatch,
                untrustedDeviceCertificate
            case seedSignatureInvalid, decryptionFailed, stateFile, unknownContainer, fileTooLarge, csrFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The applet answered with a status word other than 9000 (see ``DeviceKitError/statusWord``).
        public static let statusWord = Self(.statusWord)
        /// The applet's response could not be parsed.
        public static let malformedResponse = Self(.malformedResponse)
        /// The delivered payload is not a well-formed COSE_Sign1 Registry Payload.
        public static let malformedPayload = Self(.malformedPayload)
        /// The payload's format version is not one this device reads.
        public static let unsupportedVersion = Self(.unsupportedVersion)
        /// The payload's signing certificate does not chain to the registry root the device holds.
        public static let untrustedSigner = Self(.untrustedSigner)
        /// The payload's COSE signature does not verify.
        public static let badSignature = Self(.badSignature)
        /// The payload names another device (EID).
        public static let wrongDevice = Self(.wrongDevice)
        /// The payload's sequence number is not above the last accepted one (replay or rollback).
        public static let rollback = Self(.rollback)
        /// The payload's notAfter has passed.
        public static let expired = Self(.expired)
        /// The payload was issued in the future (clock skew or forgery).
        public static let notYetValid = Self(.notYetValid)
        /// The payload carries a registry root other than the one the device holds.
        public static let rootMismatch = Self(.rootMismatch)
        /// The device certificate in the payload is not for the key in the eSIM's client container.
        public static let certificateKeyMismatch = Self(.certificateKeyMismatch)
        /// The device certificate does not chain through its issuing CA to the registry root.
        public static let untrustedDeviceCertificate = Self(.untrustedDeviceCertificate)
        /// A detached seed-layout signature (endpoint JSON, ASP certificate) does not verify with the issuing CA.
        public static let seedSignatureInvalid = Self(.seedSignatureInvalid)
        /// A sealed secret in the payload could not be opened with the eSIM's key-agreement key.
        public static let decryptionFailed = Self(.decryptionFailed)
        /// The simulator's state file could not be read or written.
        public static let stateFile = Self(.stateFile)
        /// No container with that identifier exists.
        public static let unknownContainer = Self(.unknownContainer)
        /// Content larger than the file container.
        public static let fileTooLarge = Self(.fileTooLarge)
        /// The CSR could not be built or does not verify.
        public static let csrFailed = Self(.csrFailed)

        public var description: String { value.rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// What happened and what to do about it.
    public let reason: String
    /// The applet status word, for ``Code/statusWord`` errors.
    public let statusWord: UInt16?
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: Int

    /// Makes an error; `reason` must never contain secrets.
    public init(_ code: Code, _ reason: String, statusWord: UInt16? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.statusWord = statusWord
        self.file = file
        self.line = line
    }

    public var description: String { "DeviceKitError.\(code): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
