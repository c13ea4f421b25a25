/// The one error type of the DeviceAgent module.
///
/// Equality compares ``code`` only, so tests assert codes. No ``reason`` ever contains key material.
public struct DeviceAgentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an open set.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case selfAttestationFailed, serverNotAuthenticated, lookupFailed, connectionFailed, protocolError
            case badConfiguration, signingFailed, refusedByASP, renewalFailed
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The zone does not publish this device's certificate at `<eid>._device.<zone>` (revoked, replaced, or the
        /// answer did not validate): the device must not present itself; renew or re-activate it.
        public static let selfAttestationFailed = Code(.selfAttestationFailed)
        /// The ASP's certificate does not match its validated TLSA, or it has none: the device refuses the server.
        public static let serverNotAuthenticated = Code(.serverNotAuthenticated)
        /// A DNS lookup failed (resolver unreachable, pin mismatch, bogus, timeout): failing closed.
        public static let lookupFailed = Code(.lookupFailed)
        /// The TCP or TLS connection to the ASP failed for another reason.
        public static let connectionFailed = Code(.connectionFailed)
        /// The ASP answered something the line protocol does not expect, or did not answer in time.
        public static let protocolError = Code(.protocolError)
        /// The inputs do not fit together (no device identity in the certificate, bad names).
        public static let badConfiguration = Code(.badConfiguration)
        /// The ASP ended the connection instead of welcoming the device (its DANE check refused this device).
        public static let refusedByASP = Code(.refusedByASP)
        /// EST renewal did not yield a usable certificate (the server refused, or answered something that is not a
        /// certificate for the new key); the current certificate and key are unchanged and still in use.
        public static let renewalFailed = Code(.renewalFailed)
        /// The IoT SAFE applet did not sign.
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

    public var description: String { "DeviceAgentError.\(code): \(reason)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
