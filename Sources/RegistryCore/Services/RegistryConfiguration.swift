public import Foundation

/// The operator's choices that shape how the registry behaves.
public struct RegistryConfiguration: Sendable {
    /// Whether an owner-authorised transfer completes at once (zero touch) or waits for the losing ASP.
    public var transferPolicy: TransferPolicy
    /// How long a transfer code stays valid.
    public var transferCodeLifetime: TimeInterval
    /// Items per transaction in bulk jobs: larger is faster, smaller holds locks for less time.
    public var jobBatchSize: Int
    /// The most items one job may carry.
    public var maxJobItems: Int
    /// The most devices one transfer code may cover.
    public var maxDevicesPerTransferCode: Int

    public init(
        transferPolicy: TransferPolicy = .immediate, transferCodeLifetime: TimeInterval = 14 * 24 * 3600,
        jobBatchSize: Int = 1000, maxJobItems: Int = 10_000_000, maxDevicesPerTransferCode: Int = 1_000_000
    ) {
        self.transferPolicy = transferPolicy
        self.transferCodeLifetime = transferCodeLifetime
        self.jobBatchSize = jobBatchSize
        self.maxJobItems = maxJobItems
        self.maxDevicesPerTransferCode = maxDevicesPerTransferCode
    }
}
