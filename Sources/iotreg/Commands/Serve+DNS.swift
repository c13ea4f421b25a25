import DNSSEC
import DNSServer
import EPPServer
import Foundation
import Logging
import NIOCore
import RegistryZone

extension Serve {
    /// Starts the authoritative server (UDP+TCP on `dns`, DNS over TLS on `dot`) unless both are `off`, serving
    /// `zone` and every later version the publisher signs.
    ///
    /// The DoT certificate is `DIR/dot/epp-tls.pem` with its key sealed beside it, self-signed on first use and kept,
    /// so the SPKI pin that payloads carry stays valid across restarts.
    ///
    /// Zone transfers (AXFR/IXFR) are granted to requests signed with the registry's TSIG key
    /// (``RegistryHome/transferKey()``) and to the `allowTransfer` addresses; every new serial is NOTIFYed to
    /// `notify`, the secondaries that serve the zone to the world while this node stays a hidden primary.
    /// The `--notify` secondaries as socket addresses (they must be IP addresses: NOTIFY goes to an address).
    static func socketAddresses(notify: [ListenAddress]) throws -> [SocketAddress] {
        try notify.filter { !$0.isOff }.map { target in
            do { return try SocketAddress(ipAddress: target.host, port: target.port) } catch {
                throw CLIError("--notify \(target): give a secondary's IP address and port, e.g. 127.0.0.1:53053")
            }
        }
    }

    static func startDNS(
        dns: ListenAddress, dot: ListenAddress, zone: SignedZone, publisher: ZonePublisher, home: RegistryHome,
        notify: [ListenAddress] = [], allowTransfer: [String] = [], announce: Bool = true, logger: Logger
    ) async throws -> (DNSServer?, (udp: Int?, tls: Int?)) {
        guard !dns.isOff || !dot.isOff else { return (nil, (nil, nil)) }
        var configuration = DNSServer.Configuration()
        configuration.transferAccess = TransferAccess(
            tsigKeys: [try home.transferKey()], allowedAddresses: Set(allowTransfer))
        configuration.notifyTargets = try socketAddresses(notify: notify)
        if !dot.isOff {
            let identity = try home.dotIdentity()
            configuration.tlsCertificateChainPEM = identity.certificateChainPEM
            configuration.tlsPrivateKeyPEM = identity.privateKeyPEM
        }
        let server = DNSServer(configuration: configuration, zoneStore: ZoneStore(zone))
        let ports = try await server.start(
            udpTCP: dns.isOff ? nil : .init(host: dns.host, port: dns.port),
            dot: dot.isOff ? nil : .init(host: dot.host, port: dot.port))
        await publisher.attach(DNSServerSink(server: server, logger: logger))
        if announce {
            if let port = ports.udp {
                print("iotreg serving DNS for \(zone.apex) on \(dns.host):\(port) (UDP and TCP)")
            }
            if let port = ports.tls { print("iotreg serving DNS over TLS on \(dot.host):\(port)") }
            flushStandardOutput()
        }
        return (server, (ports.udp, ports.tls))
    }
}

/// Hands each signed version of the zone to the DNS server, which swaps its snapshot and NOTIFYs secondaries.
struct DNSServerSink: ZoneSink {
    let server: DNSServer
    let logger: Logger

    func publish(_ zone: SignedZone, diff: ZoneDiff?) async {
        do {
            try await server.publish(zone, diff: diff)
        } catch {
            logger.error("the DNS server refused zone serial \(zone.serial): \(error)")
        }
    }
}
