/// The one error type of the DNSSEC module.
///
/// Equality compares ``code`` only, so tests assert codes. No ``reason`` ever contains key material.
public struct DNSSECError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an open set.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case badKey, unsupportedAlgorithm, missingRecord, outOfZone, managedType, unsupportedChange, signingFailed
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// Key bytes are malformed (wrong length, not on the curve) or the key's flags do not fit its role.
        public static let badKey = Code(.badKey)
        /// The algorithm is not ECDSA P-256/SHA-256 (13), the only one this module signs and validates.
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// A required record (the apex SOA, an NS set) is absent.
        public static let missingRecord = Code(.missingRecord)
        /// A record's owner is not at or below the zone apex.
        public static let outOfZone = Code(.outOfZone)
        /// A change tries to add or remove a record the signer manages (RRSIG, NSEC, DNSKEY).
        public static let managedType = Code(.managedType)
        /// A change the incremental signer does not support (creating or removing a delegation).
        public static let unsupportedChange = Code(.unsupportedChange)
        /// The crypto library refused to sign.
        public static let signingFailed = Code(.signingFailed)

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

    public var description: String { "DNSSECError.\(code): \(reason)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
