public import Foundation

/// Work the registry asks a mobile operator to do on one device's eSIM, over the air.
///
/// The MNO is the only party that can reach the eSIM, so provisioning is a queue per MNO: the registry writes a
/// task in the same transaction as the change that needs it (activation asks for a key, an issued certificate
/// makes a payload to deliver, deactivation wipes), the MNO fetches its tasks (`GET /v1/mno/tasks`) and answers
/// each (`POST /v1/mno/tasks/{id}/result`). A fetched task is leased; when no answer comes it is offered again
/// after a lease that doubles with each attempt, so a lost answer delays the device but never strands it.
public struct MNOTask: Codable, Hashable, Sendable {
    public var id: String
    /// The MNO that serves the device; only it ever sees the task.
    public var mnoID: String
    public var eid: EID
    public var kind: Kind
    public var state: State
    /// How many times it has been handed to the MNO.
    public var attempt: Int
    /// For `deliver-payload`: the payload sequence to deliver.
    public var payloadSequence: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    /// Not offered before this time (lease or back-off).
    public var availableAt: Date
    /// What the answer said: the certificate serial issued, the delivered sequence, or the failure reason.
    public var outcome: String?
    /// Optimistic concurrency, as for devices: an update must be computed from the version it replaces.
    public var version: Int64

    public init(
        id: String, mnoID: String, eid: EID, kind: Kind, state: State = .pending, attempt: Int = 0,
        payloadSequence: Int64? = nil, createdAt: Date, updatedAt: Date? = nil, availableAt: Date? = nil,
        outcome: String? = nil, version: Int64 = 1
    ) {
        self.id = id
        self.mnoID = mnoID
        self.eid = eid
        self.kind = kind
        self.state = state
        self.attempt = attempt
        self.payloadSequence = payloadSequence
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.availableAt = availableAt ?? createdAt
        self.outcome = outcome
        self.version = version
    }

    /// What the MNO must do.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// Make a new key pair in a free signature container of the IoT SAFE applet and return its CSR (and the
        /// key-agreement public key that sealed secrets are made for).
        case generateKey = "generate-key"
        /// Write the signed Registry Payload (`GET /v1/devices/{eid}/payload`) into the applet's payload file.
        case deliverPayload = "deliver-payload"
        /// Erase the payload and certificate files (deactivation): the device can no longer find or prove itself.
        case wipe
    }

    /// Where the task is.
    public enum State: String, Codable, Hashable, Sendable, CaseIterable {
        /// Waiting to be fetched (again, after a lease or a retryable failure).
        case pending
        /// Handed to the MNO; offered again when the lease runs out without an answer.
        case inFlight = "in-flight"
        case succeeded
        /// The MNO said it cannot be done (device not on its network, eSIM refused the payload, ...).
        case failed
        /// A newer task for the same device made this one moot (activation then deactivation, say).
        case superseded

        /// Whether the task still expects an answer.
        public var isOpen: Bool { self == .pending || self == .inFlight }
    }

    /// The lease granted on the `attempt`-th hand-out: 60 s doubling up to an hour.
    public static func lease(forAttempt attempt: Int) -> TimeInterval {
        min(60 * pow(2, Double(max(attempt - 1, 0))), 3600)
    }
}

/// What an MNO answers for a task.
public enum MNOTaskResult: Sendable, Hashable {
    /// For `generate-key`: the CSR made by the eSIM (PEM or DER) and, when it has one, the 65-byte X9.63 public key
    /// of its key-agreement container.
    case csr([UInt8], keyAgreementPublicKey: [UInt8]?)
    /// For `deliver-payload`: the eSIM accepted the payload with this sequence.
    case delivered(sequence: Int64)
    /// For `wipe`.
    case wiped
    /// The task cannot be done now (`retry`) or at all.
    case failed(reason: String, retry: Bool)

    /// The task kind this answer belongs to (nil for failures, which fit every kind).
    var kind: MNOTask.Kind? {
        switch self {
        case .csr: .generateKey
        case .delivered: .deliverPayload
        case .wiped: .wipe
        case .failed: nil
        }
    }

    /// The outcome text recorded on the task; the same answer given twice records the same text.
    var summary: String {
        switch self {
        case .csr: "csr"
        case .delivered(let sequence): "delivered \(sequence)"
        case .wiped: "wiped"
        case .failed(let reason, let retry): (retry ? "retry: " : "failed: ") + reason
        }
    }
}

/// The answer to a task result: the task as it now stands and, for a CSR, the certificate issued.
public struct MNOTaskAnswer: Sendable {
    public var task: MNOTask
    public var certificate: CertificateRecord?
}
