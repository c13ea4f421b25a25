/// Why the registry zone could not be built or changed, with what to do about it.
public struct RegistryZoneError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case badCertificate, badName, keys, state, inconsistent }
        private let value: Value
        /// A stored certificate is not DER X.509.
        public static let badCertificate = Code(value: .badCertificate)
        /// A registry fact does not fit a DNS name.
        public static let badName = Code(value: .badName)
        /// The DNSSEC keys are missing, unreadable or do not match.
        public static let keys = Code(value: .keys)
        /// The publisher's persisted state (serial file) is unusable.
        public static let state = Code(value: .state)
        /// The served zone and the database disagree.
        public static let inconsistent = Code(value: .inconsistent)
        public var description: String { "\(value)" }
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}
