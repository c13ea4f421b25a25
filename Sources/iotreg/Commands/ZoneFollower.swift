import DNSSEC
import Foundation
import Logging
import RegistryZone
import ServiceLifecycle

/// Keeps this node's zone on the database: applies new outbox events ten times a second, re-signs signatures
/// nearing expiry every hour, and compares the whole zone with the database every ten minutes. The signer serves
/// what it signs; a standby keeps its copy warm, asks for the signer's lease every second and takes over when it
/// is free.
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
                            _ = await role.confirm()
                        } else {
                            try await role.tryToSign()
                        }
                    }
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
