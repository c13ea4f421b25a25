import DNSSEC
import Foundation
import Logging
import RegistryZone
import ServiceLifecycle

/// Keeps the served zone on the database: applies new outbox events ten times a second, re-signs signatures
/// nearing expiry every hour, and compares the whole zone with the database every ten minutes.
struct ZoneFollower: Service {
    let publisher: ZonePublisher
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var lastRefresh = Date()
            var lastCheck = Date()
            var lastServices = Date.distantPast
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(100))
                do {
                    for diff in try await publisher.catchUp() {
                        logger.debug("zone serial \(diff.newSerial): -\(diff.removed.count) +\(diff.added.count)")
                    }
                    if Date().timeIntervalSince(lastServices) > 1 {
                        lastServices = Date()
                        try await publisher.syncServices()
                    }
                    if Date().timeIntervalSince(lastRefresh) > 3600 {
                        lastRefresh = Date()
                        try await publisher.refreshSignatures()
                    }
                    if Date().timeIntervalSince(lastCheck) > 600 {
                        lastCheck = Date()
                        let report = try await publisher.checkConsistency()
                        if !report.isConsistent {
                            logger.error("\(report); rebuilding the zone from the database")
                            try await publisher.rebuild()
                        }
                    }
                } catch {
                    logger.error("zone publisher: \(error); retrying")
                }
            }
        }
    }
}
