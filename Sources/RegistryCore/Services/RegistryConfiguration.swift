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
    /// Whether a completed transfer asks the eSIM for a new key pair (a `generate-key` task) instead of
    /// re-certifying the device's current key under the new profile. Re-keying costs one more round trip through
    /// the MNO; re-certifying is enough for the old ASP never held the key.
    public var rekeyOnTransfer: Bool

    public init(
        transferPolicy: TransferPolicy = .immediate, transferCodeLifetime: TimeInterval = 14 * 24 * 3600,
        jobBatchSize: Int = 1000, maxJobItems: Int = 10_000_000, maxDevicesPerTransferCode: Int = 1_000_000,
        rekeyOnTransfer: Bool = false
    ) {
        self.rekeyOnTransfer = rekeyOnTransfer
        self.transferPolicy = transferPolicy
        self.transferCodeLifetime = transferCodeLifetime
        self.jobBatchSize = jobBatchSize
        self.maxJobItems = maxJobItems
        self.maxDevicesPerTransferCode = maxDevicesPerTransferCode
    }
}
