/// The one error type of the PKI module.
///
/// Callers switch on ``code`` (stable, comparable); ``reason`` is a sentence for an operator that says what went
/// wrong and what to do. Equality compares the code only, so tests can write `#expect(throws: PKIError.self)` and
/// then compare codes without depending on wording. A reason never contains key material.
public struct PKIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; an open set, so new codes are not a breaking change.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String {
            case malformedInput, unsupportedKey, weakKey, badSignature, keyNotFound, keyExists, keyStoreIO
            case wrongSecretOrTampered, invalidArgument, signingFailed, mismatchedKey, malformedRequest
        }
        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The bytes are not the expected DER/PEM structure (garbage, truncated, trailing bytes).
        public static let malformedInput = Code(.malformedInput)
        /// The key type or curve is not one we accept (we take ECDSA P-256/P-384 and RSA >= 2048).
        public static let unsupportedKey = Code(.unsupportedKey)
        /// The key is of an accepted type but too small (RSA < 2048 bits).
        public static let weakKey = Code(.weakKey)
        /// A signature does not verify (for a CSR: no proof of possession of the private key).
        public static let badSignature = Code(.badSignature)
        /// No key under that label in the key store.
        public static let keyNotFound = Code(.keyNotFound)
        /// A key under that label exists already; keys are never overwritten.
        public static let keyExists = Code(.keyExists)
        /// The key store's directory or files could not be read or written.
        public static let keyStoreIO = Code(.keyStoreIO)
        /// A key file does not decrypt: the operator secret is wrong or the file was altered.
        public static let wrongSecretOrTampered = Code(.wrongSecretOrTampered)
        /// A caller-supplied value is out of range or badly formed (a name, a URL, a validity).
        public static let invalidArgument = Code(.invalidArgument)
        /// The signer (software key or HSM) failed to sign.
        public static let signingFailed = Code(.signingFailed)
        /// A certificate's public key does not belong to the key it was loaded with.
        public static let mismatchedKey = Code(.mismatchedKey)
        /// An OCSP request could not be parsed.
        public static let malformedRequest = Code(.malformedRequest)

        public var description: String { backing.rawValue }
    }

    /// The stable failure kind.
    public let code: Code
    /// What went wrong and what to do about it.
    public let reason: String

    /// Makes an error; prefer the static factories, which name the failure.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "PKIError.\(code): \(reason)" }

    public static func == (lhs: PKIError, rhs: PKIError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    static func malformed(_ reason: String) -> PKIError { PKIError(.malformedInput, reason) }
    static func invalid(_ reason: String) -> PKIError { PKIError(.invalidArgument, reason) }
}
