/// The one error type of the Payload module.
///
/// Callers branch on ``code`` (stable, comparable); ``reason`` says what happened and what to do, and never contains
/// key material. Equality compares the code only, so tests assert codes rather than strings.
public struct PayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, open set of error codes: new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case truncated, trailingBytes, tooDeep, tooLarge, malformed, notDeterministic, indefiniteLength
            case invalidUTF8, duplicateMapKey, unexpectedType, missingField, unsupportedVersion
            case unsupportedAlgorithm, badSignature, signingFailed, invalidKey, decryptionFailed, keyAgreementFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input ended in the middle of an item.
        public static let truncated = Self(.truncated)
        /// Bytes remained after the one top-level item.
        public static let trailingBytes = Self(.trailingBytes)
        /// Nesting went deeper than the decoder's limit.
        public static let tooDeep = Self(.tooDeep)
        /// The input or one of its items is larger than the decoder's limit.
        public static let tooLarge = Self(.tooLarge)
        /// The bytes are not well-formed CBOR (reserved additional info, bad break, …).
        public static let malformed = Self(.malformed)
        /// Well-formed, but not in RFC 8949 §4.2.1 deterministic form where it is required.
        public static let notDeterministic = Self(.notDeterministic)
        /// An indefinite-length item where definite lengths are required.
        public static let indefiniteLength = Self(.indefiniteLength)
        /// A text string that is not valid UTF-8.
        public static let invalidUTF8 = Self(.invalidUTF8)
        /// A map with the same key twice.
        public static let duplicateMapKey = Self(.duplicateMapKey)
        /// A value of the wrong CBOR type for its place in a structure.
        public static let unexpectedType = Self(.unexpectedType)
        /// A required field of a structure is absent.
        public static let missingField = Self(.missingField)
        /// A structure version this code does not understand.
        public static let unsupportedVersion = Self(.unsupportedVersion)
        /// A COSE algorithm or HPKE suite this code does not implement.
        public static let unsupportedAlgorithm = Self(.unsupportedAlgorithm)
        /// A signature that does not verify.
        public static let badSignature = Self(.badSignature)
        /// The signer could not produce a signature.
        public static let signingFailed = Self(.signingFailed)
        /// A public or private key that cannot be used.
        public static let invalidKey = Self(.invalidKey)
        /// An AEAD open that failed (wrong key, tampered ciphertext or AAD).
        public static let decryptionFailed = Self(.decryptionFailed)
        /// The key agreement (ECDH) failed or returned an unusable secret.
        public static let keyAgreementFailed = Self(.keyAgreementFailed)

        public var description: String { value.rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// What happened and what to do about it.
    public let reason: String
    /// Where the error was raised, for diagnostics.
    public let file: String
    /// Where the error was raised, for diagnostics.
    public let line: Int

    /// Makes an error; `reason` must never contain secrets.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { "PayloadError.\(code): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
