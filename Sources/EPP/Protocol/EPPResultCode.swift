/// An EPP result code with its standard message (RFC 5730 §3).
///
/// An open set: codes this server never sends still round-trip. The first digit says success (1) or failure (2);
/// the second the class (0 syntax, 1 implementation, 2 security, 3 data management, 4 server, 5 connection).
public struct EPPResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let success = Self(rawValue: 1000)
    public static let successPending = Self(rawValue: 1001)
    public static let successNoMessages = Self(rawValue: 1300)
    public static let successAckToDequeue = Self(rawValue: 1301)
    public static let successEndingSession = Self(rawValue: 1500)
    public static let unknownCommand = Self(rawValue: 2000)
    public static let commandSyntaxError = Self(rawValue: 2001)
    public static let commandUseError = Self(rawValue: 2002)
    public static let requiredParameterMissing = Self(rawValue: 2003)
    public static let parameterValueRangeError = Self(rawValue: 2004)
    public static let parameterValueSyntaxError = Self(rawValue: 2005)
    public static let unimplementedProtocolVersion = Self(rawValue: 2100)
    public static let unimplementedCommand = Self(rawValue: 2101)
    public static let unimplementedOption = Self(rawValue: 2102)
    public static let unimplementedExtension = Self(rawValue: 2103)
    public static let objectNotEligibleForTransfer = Self(rawValue: 2106)
    public static let authenticationError = Self(rawValue: 2200)
    public static let authorizationError = Self(rawValue: 2201)
    public static let invalidAuthorizationInformation = Self(rawValue: 2202)
    public static let objectPendingTransfer = Self(rawValue: 2300)
    public static let objectNotPendingTransfer = Self(rawValue: 2301)
    public static let objectExists = Self(rawValue: 2302)
    public static let objectDoesNotExist = Self(rawValue: 2303)
    public static let objectStatusProhibitsOperation = Self(rawValue: 2304)
    public static let objectAssociationProhibitsOperation = Self(rawValue: 2305)
    public static let parameterValuePolicyError = Self(rawValue: 2306)
    public static let unimplementedObjectService = Self(rawValue: 2307)
    public static let dataManagementPolicyViolation = Self(rawValue: 2308)
    public static let commandFailed = Self(rawValue: 2400)
    public static let commandFailedClosing = Self(rawValue: 2500)
    public static let authenticationErrorClosing = Self(rawValue: 2501)
    public static let sessionLimitExceededClosing = Self(rawValue: 2502)

    /// Whether the command succeeded (1xxx).
    public var isSuccess: Bool { rawValue < 2000 }

    /// The message text RFC 5730 §3 gives for the code.
    public var message: String {
        switch rawValue {
        case 1000: "Command completed successfully"
        case 1001: "Command completed successfully; action pending"
        case 1300: "Command completed successfully; no messages"
        case 1301: "Command completed successfully; ack to dequeue"
        case 1500: "Command completed successfully; ending session"
        case 2000: "Unknown command"
        case 2001: "Command syntax error"
        case 2002: "Command use error"
        case 2003: "Required parameter missing"
        case 2004: "Parameter value range error"
        case 2005: "Parameter value syntax error"
        case 2100: "Unimplemented protocol version"
        case 2101: "Unimplemented command"
        case 2102: "Unimplemented option"
        case 2103: "Unimplemented extension"
        case 2104: "Billing failure"
        case 2105: "Object is not eligible for renewal"
        case 2106: "Object is not eligible for transfer"
        case 2200: "Authentication error"
        case 2201: "Authorization error"
        case 2202: "Invalid authorization information"
        case 2300: "Object pending transfer"
        case 2301: "Object not pending transfer"
        case 2302: "Object exists"
        case 2303: "Object does not exist"
        case 2304: "Object status prohibits operation"
        case 2305: "Object association prohibits operation"
        case 2306: "Parameter value policy error"
        case 2307: "Unimplemented object service"
        case 2308: "Data management policy violation"
        case 2400: "Command failed"
        case 2500: "Command failed; server closing connection"
        case 2501: "Authentication error; server closing connection"
        case 2502: "Session limit exceeded; server closing connection"
        default: "Result \(rawValue)"
        }
    }

    public var description: String { "\(rawValue) \(message)" }
}
