/// The one error type of the DNSWire module.
///
/// Every decoding failure maps to ``code``; a server answers any of them with FORMERR (``responseCode``).
/// Equality compares ``code`` only, so tests assert codes rather than strings.
public struct DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an open set: new codes are not a breaking change.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case truncated, badLabel, nameTooLong, badPointer, countMismatch, badRData, limitExceeded
            case trailingData, badPresentation, unknownMnemonic, badZoneFile
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The input ended before a field did.
        public static let truncated = Code(.truncated)
        /// A label is longer than 63 octets, empty where it must not be, or uses a reserved label type.
        public static let badLabel = Code(.badLabel)
        /// A name is longer than 255 octets in wire form.
        public static let nameTooLong = Code(.nameTooLong)
        /// A compression pointer points forward, at itself, or into a loop.
        public static let badPointer = Code(.badPointer)
        /// A section count does not match the records present.
        public static let countMismatch = Code(.countMismatch)
        /// RDATA does not match its type's layout or its RDLENGTH.
        public static let badRData = Code(.badRData)
        /// A configured decoding limit was exceeded.
        public static let limitExceeded = Code(.limitExceeded)
        /// Bytes remain after the last section.
        public static let trailingData = Code(.trailingData)
        /// A presentation-format (text) field is malformed.
        public static let badPresentation = Code(.badPresentation)
        /// A type, class or algorithm mnemonic is not known.
        public static let unknownMnemonic = Code(.unknownMnemonic)
        /// A master-file line or directive is malformed.
        public static let badZoneFile = Code(.badZoneFile)

        public var description: String { base.rawValue }
    }

    /// The failure class, stable for tests and for mapping to an RCODE.
    public let code: Code
    /// What happened and what to do, for logs; never contains secrets.
    public let reason: String
    /// Where the error was raised.
    public let file: String
    public let line: Int

    /// Creates an error; prefer the static factories.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// The RCODE a server answers a request that failed to decode with: always FORMERR.
    public var responseCode: ResponseCode { .formErr }

    public var description: String { "DNSWireError.\(code): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    static func truncated(_ what: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.truncated, "input ended inside \(what); the message or RDATA is cut short", file: file, line: line)
    }
    static func presentation(_ reason: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.badPresentation, reason, file: file, line: line)
    }
    static func rdata(_ reason: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.badRData, reason, file: file, line: line)
    }
}
