/// Everything one use case writes, applied by the store in one transaction or not at all.
///
/// The core decides; the store only applies. Device updates carry the version they were computed from, so a change
/// computed from stale data is refused (``RegistryError/Code/conflict``) instead of overwriting a newer one: this is
/// what makes several registry nodes over one database safe. Audit drafts are chained and outbox events numbered
/// by the store inside the same transaction.
public struct ChangeSet: Sendable {
    public var tenantInserts: [TenantInsert] = []
    public var clientCertificates: [ClientCertificate] = []
    public var deviceInserts: [Device] = []
    /// Updates to existing rows; each must still be at `version - 1` in the store.
    public var deviceUpdates: [Device] = []
    public var profileInserts: [Profile] = []
    public var profileUpdates: [Profile] = []
    public var transferCodeInserts: [TransferCode] = []
    /// (code hash, eid) pairs consumed now.
    public var transferCodeUses: [TransferCodeUse] = []
    public var jobInserts: [Job] = []
    public var jobItemInserts: [JobItem] = []
    public var jobUpdates: [Job] = []
    public var jobItemUpdates: [JobItem] = []
    /// Device certificates issued now.
    public var certificateInserts: [CertificateRecord] = []
    /// Certificates revoked now; each must still be active in the store (else `conflict`).
    public var certificateRevocations: [CertificateRevocation] = []
    /// MNO tasks created now.
    public var taskInserts: [MNOTask] = []
    /// Task updates; each must still be at `version - 1` in the store (else `conflict`).
    public var taskUpdates: [MNOTask] = []
    /// Signed payloads recorded now; (eid, sequence) must be new (else `alreadyExists`).
    public var payloadInserts: [StoredPayload] = []
    /// eSIM key-agreement keys reported now (replacing the device's previous one).
    public var keyAgreementKeys: [ESIMKeyAgreementKey] = []
    /// Webhook URLs set now (replacing the tenant's previous one).
    public var webhooks: [Webhook] = []
    public var audit: [AuditDraft] = []
    public var outbox: [OutboxEvent] = []

    public init() {}

    /// Whether nothing would be written.
    public var isEmpty: Bool {
        tenantInserts.isEmpty && clientCertificates.isEmpty && deviceInserts.isEmpty && deviceUpdates.isEmpty
            && profileInserts.isEmpty && profileUpdates.isEmpty && transferCodeInserts.isEmpty
            && transferCodeUses.isEmpty && jobInserts.isEmpty && jobItemInserts.isEmpty && jobUpdates.isEmpty
            && jobItemUpdates.isEmpty && certificateInserts.isEmpty && certificateRevocations.isEmpty
            && taskInserts.isEmpty && taskUpdates.isEmpty && payloadInserts.isEmpty && keyAgreementKeys.isEmpty
            && webhooks.isEmpty && audit.isEmpty && outbox.isEmpty
    }

    /// Appends everything `other` writes.
    public mutating func merge(_ other: ChangeSet) {
        tenantInserts += other.tenantInserts
        clientCertificates += other.clientCertificates
        deviceInserts += other.deviceInserts
        deviceUpdates += other.deviceUpdates
        profileInserts += other.profileInserts
        profileUpdates += other.profileUpdates
        transferCodeInserts += other.transferCodeInserts
        transferCodeUses += other.transferCodeUses
        jobInserts += other.jobInserts
        jobItemInserts += other.jobItemInserts
        jobUpdates += other.jobUpdates
        jobItemUpdates += other.jobItemUpdates
        certificateInserts += other.certificateInserts
        certificateRevocations += other.certificateRevocations
        taskInserts += other.taskInserts
        taskUpdates += other.taskUpdates
        payloadInserts += other.payloadInserts
        keyAgreementKeys += other.keyAgreementKeys
        webhooks += other.webhooks
        audit += other.audit
        outbox += other.outbox
    }
}

/// A tenant being onboarded with the hash of its first token.
public struct TenantInsert: Sendable, Hashable {
    public enum Record: Sendable, Hashable {
        /// An additional operator token (the first is made by `bootstrapOperator`).
        case registryOperator
        case asp(ASP)
        case named(NamedTenant)
    }

    public var record: Record
    public var tokenHash: String

    public init(record: Record, tokenHash: String) {
        self.record = record
        self.tokenHash = tokenHash
    }
}
