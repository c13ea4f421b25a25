import DNSSEC
import DNSServer
import Logging
import RegistryZone

/// This node's part in publishing the zone: the signer (zone signed, DNS listeners up, secondaries NOTIFYed) or a
/// warm standby that waits for the signer's lease and takes over, from the same keys, when the signer dies.
///
/// A standby keeps its own copy of the zone signed and current (``ZoneFollower`` runs on every node), so taking
/// over costs one SOA signature whatever the zone's size. It binds no DNS port: the primary is wherever the lease
/// is, and secondaries list every node as a primary (the new one NOTIFYs them as soon as it serves).
actor ZoneSignerRole {
    /// Starts DNS listeners on a freshly signed zone; nil server when DNS and DoT are both off.
    typealias Serve = @Sendable (SignedZone) async throws -> (DNSServer?, (udp: Int?, tls: Int?))

    let lease: any SignerLease
    let publisher: ZonePublisher
    let serve: Serve
    let logger: Logger
    private(set) var isSigner = false
    private(set) var server: DNSServer?
    /// The bound DNS ports while this node is the signer.
    private(set) var ports: (udp: Int?, tls: Int?) = (nil, nil)

    init(lease: any SignerLease, publisher: ZonePublisher, logger: Logger, serve: @escaping Serve) {
        self.lease = lease
        self.publisher = publisher
        self.logger = logger
        self.serve = serve
    }

    /// Becomes the signer if nobody holds the lease: moves its warm zone (or one signed from scratch) to a serial
    /// after the last one published, serves it and NOTIFYs the secondaries. True when this node is the signer.
    @discardableResult
    func tryToSign() async throws -> Bool {
        if isSigner { return true }
        guard try await lease.tryAcquire() else {
            // A publisher starts out as the signer (alone, it is); a standby must neither record its own serials
            // in the shared ledger nor have payload builders trust its position.
            if await publisher.isSigner { await publisher.standBy() }
            return false
        }
        do {
            let zone = try await publisher.takeOver()
            let (server, ports) = try await serve(zone)
            self.server = server
            self.ports = ports
            isSigner = true
            logger.info("this node signs and serves the zone", metadata: ["serial": "\(zone.serial)"])
            if let server { Task { _ = await server.notifySecondaries() } }
            return true
        } catch {
            await stepDown(release: true)
            throw error
        }
    }

    /// Whether this node is still the signer; when its lease is gone it stops signing and serving at once.
    func confirm() async -> Bool {
        guard isSigner else { return false }
        if await lease.isHeld() { return true }
        logger.error("lost the zone signer's lease; stopping DNS and standing by")
        await stepDown(release: false)
        return false
    }

    /// Stops serving and stands by; with `release`, frees the lease so another node takes over at once.
    func stepDown(release: Bool) async {
        await publisher.standBy()
        await server?.stop()
        server = nil
        ports = (nil, nil)
        isSigner = false
        if release { await lease.release() }
    }
}
