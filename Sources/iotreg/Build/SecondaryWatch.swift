import DNSServer
import DNSWire
import Logging
import NIOCore
import NIOPosix

/// With a hidden primary the world, the meters included, resolves from the secondaries. A payload tells a device
/// to look its identity up, so it must wait until the secondaries serve that identity, not only the primary:
/// this watch asks every secondary for its serial and confirms the outbox position of the newest publication
/// they all serve.
///
/// A secondary that has not answered for ``deadAfter`` no longer holds payloads back (one dead secondary must not
/// stop every activation); it counts again from its next answer. With none alive, payloads follow the primary.
actor SecondaryWatch {
    /// What the signer published last: its serial and the outbox position it reflects.
    typealias Publication = (serial: UInt32, position: Int64)

    static let deadAfter: Duration = .seconds(5)

    private let zone: DNSName
    private let secondaries: [SocketAddress]
    private let probe: SerialProbe
    private let published: @Sendable () async -> Publication?
    private let logger: Logger
    /// Publications seen and not yet served everywhere, oldest first.
    private var pending: [Publication] = []
    private var confirmed: Int64 = 0
    private var lastAnswer: [ContinuousClock.Instant]
    private var dead: Set<Int> = []

    /// - Parameter published: must read the position before the serial, so that the serial read is at least the
    ///   one that published that position.
    init(
        zone: DNSName, secondaries: [SocketAddress], published: @escaping @Sendable () async -> Publication?,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.zone = zone
        self.secondaries = secondaries
        self.published = published
        self.probe = SerialProbe(group: group, timeout: .milliseconds(500))
        self.logger = logger
        lastAnswer = Array(repeating: .now, count: secondaries.count)
    }

    /// The outbox position every live secondary serves.
    func confirmedThrough() -> Int64 { confirmed }

    /// One round: notes the signer's latest publication, asks every secondary, confirms what they all serve.
    func step() async {
        if let latest = await published(), latest.serial != pending.last?.serial, latest.position > confirmed {
            pending.append(latest)
        }
        guard !pending.isEmpty else { return }
        let serials = await withTaskGroup(of: (Int, UInt32?).self) { group in
            for (index, server) in secondaries.enumerated() {
                group.addTask { (index, await self.probe.serial(of: self.zone, at: server)) }
            }
            var serials = [UInt32?](repeating: nil, count: secondaries.count)
            for await (index, serial) in group { serials[index] = serial }
            return serials
        }
        let now = ContinuousClock.now
        logger.debug(
            "secondaries' serials; payloads released through the confirmed outbox position",
            metadata: [
                "serials": "\(serials.map { $0.map(String.init) ?? "-" })", "confirmed": "\(confirmed)",
                "waiting": "\(pending.count)",
            ])
        var lowest: UInt32?
        for (index, serial) in serials.enumerated() {
            if let serial {
                lastAnswer[index] = now
                if dead.remove(index) != nil { logger.info("secondary \(secondaries[index]) answers again") }
                lowest = lowest.map { SerialNumber($0).isBefore(SerialNumber(serial)) ? $0 : serial } ?? serial
            } else if now - lastAnswer[index] < Self.deadAfter {
                return  // a live secondary that did not answer this round: wait for it
            } else if dead.insert(index).inserted {
                logger.warning(
                    "secondary \(secondaries[index]) has not answered its SOA for \(Self.deadAfter); payloads no longer wait for it"
                )
            }
        }
        guard let lowest else {
            confirm(pending.count - 1)  // every secondary is down: follow the primary
            return
        }
        if let served = pending.lastIndex(where: { !SerialNumber(lowest).isBefore(SerialNumber($0.serial)) }) {
            confirm(served)
        }
    }

    private func confirm(_ index: Int) {
        confirmed = max(confirmed, pending[index].position)
        pending.removeFirst(index + 1)
    }
}
