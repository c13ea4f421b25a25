import DNSSEC
import Foundation
import Logging
import RegistryZone
import ServiceLifecycle

/// Keeps the served zone on the database while this node is the signer: applies new outbox events ten times a
/// second, re-signs signatures nearing expiry every hour, and compares the whole zone with the database every ten
/// minutes. While another node signs, it asks for the signer's lease every second and takes over when it is free.
struct ZoneFollower: Service {
    let role: ZoneSignerRole
    let logger: Logger

    func run() async throws {
        let publisher = role.publisher
        try await cancelWhenGracefulShutdown {
            var lastRefresh = Date()
            var lastCheck = Date()
            var lastServices = Date.distantPast
            var lastLease = Date()
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(100))
                do {
                    if Date().timeIntervalSince(lastLease) >= 1 {
                        lastLease = Date()
                        if await role.isSigner {
                            guard await role.confirm() else { continue }
                        } else if try await role.tryToSign() {
                            lastRefresh = Date()
                            lastCheck = Date()
                        }
                    }
                    guard await role.isSigner else { continue }
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
