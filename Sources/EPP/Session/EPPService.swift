import Foundation
public import Logging
public import RegistryCore
import Synchronization

/// What every EPP session of one server shares: the registry, the poll view, the decoder and the svTRID counter.
///
/// Transport-free: the NIO server (`EPPServer`) makes one ``EPPSession`` per TLS connection from this, and tests
/// drive sessions directly.
public final class EPPService: Sendable {
    public let registry: Registry
    public let pollQueue: PollQueue
    /// `<svID>` in the greeting and the svTRID prefix.
    public let serverID: String
    public let decoder: EPPRequestDecoder
    public let maxLoginFailures: Int
    let logger: Logger
    private let counter = Atomic<Int64>(0)
    private let nodeTag: String

    /// - Parameters:
    ///   - registry: the core every command is delegated to.
    ///   - serverID: the greeting's `<svID>`, 3 to 16 characters recommended.
    ///   - limits: XML bounds per frame.
    ///   - maxLoginFailures: failed logins before 2501 and a closed connection.
    public init(
        registry: Registry, serverID: String = "iotreg", limits: XML.Limits = XML.Limits(), maxLoginFailures: Int = 3,
        logger: Logger = Logger(label: "iotreg.epp")
    ) {
        self.registry = registry
        self.pollQueue = PollQueue(registry: registry)
        self.serverID = serverID
        self.decoder = EPPRequestDecoder(limits: limits)
        self.maxLoginFailures = maxLoginFailures
        self.logger = logger
        self.nodeTag = RandomText.base32(byteCount: 5)
    }

    /// A fresh server transaction id: unique per node (random tag) and increasing within it.
    public func nextServerTransactionID() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return "\(serverID)-\(nodeTag)-\(n)"
    }

    /// The greeting as of now.
    public func greeting() -> [UInt8] {
        EPPResponseEncoder.encode(EPPGreeting(serverID: serverID, serverDate: registry.now))
    }

    /// A session for one connection.
    ///
    /// - Parameter clientCertificateSHA256: lowercase hex SHA-256 of the TLS client certificate's DER, or nil when
    ///   the transport has none (login then fails).
    public func makeSession(clientCertificateSHA256: String?) -> EPPSession {
        EPPSession(service: self, clientCertificateSHA256: clientCertificateSHA256)
    }
}
