public import Foundation

/// The operations a bulk job can apply to many devices.
public enum JobOperation: String, Codable, Sendable, CaseIterable {
    case create, activate, transfer, deactivate, reactivate, delete
}

/// A bulk operation: one request, many items, processed in batches, each item done exactly once.
public struct Job: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable {
        case queued, running, completed
    }

    public var id: String
    /// The principal that submitted it (`asp:…`, `owner:…`); items run with its authority.
    public var submitter: String
    public var operation: JobOperation
    public var status: Status
    public var total: Int
    public var processed: Int
    public var succeeded: Int
    public var failed: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    public init(
        id: String, submitter: String, operation: JobOperation, status: Status, total: Int, processed: Int = 0,
        succeeded: Int = 0, failed: Int = 0, createdAt: Date, updatedAt: Date, finishedAt: Date? = nil
    ) {
        self.id = id
        self.submitter = submitter
        self.operation = operation
        self.status = status
        self.total = total
        self.processed = processed
        self.succeeded = succeeded
        self.failed = failed
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }
}

/// One item of a job: its input and, once processed, its outcome.
public struct JobItem: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable {
        case pending, succeeded, failed
    }

    public var jobID: String
    public var index: Int
    public var input: JobItemInput
    public var status: Status
    /// For a failure, the error code (`invalid-transition`, `not-found` …).
    public var errorCode: String?
    /// For a failure, the reason; for a success, a short result (e.g. the new RPID).
    public var message: String?

    public init(
        jobID: String, index: Int, input: JobItemInput, status: Status = .pending, errorCode: String? = nil,
        message: String? = nil
    ) {
        self.jobID = jobID
        self.index = index
        self.input = input
        self.status = status
        self.errorCode = errorCode
        self.message = message
    }
}

/// What one job item names: the device, and for `create` its registration data, for `transfer` its code.
public struct JobItemInput: Codable, Hashable, Sendable {
    public var eid: String
    public var iccid: String?
    public var owner: String?
    public var mno: String?
    public var model: String?
    public var serial: String?
    public var firmwareVersion: String?
    public var mudURL: String?
    /// The owner's transfer code as submitted; replaced by ``authCodeHash`` before the item is stored.
    public var authCode: String?
    /// SHA-256 of the transfer code: all a stored job item keeps of the secret.
    public var authCodeHash: String?

    public init(
        eid: String, iccid: String? = nil, owner: String? = nil, mno: String? = nil, model: String? = nil,
        serial: String? = nil, firmwareVersion: String? = nil, mudURL: String? = nil, authCode: String? = nil,
        authCodeHash: String? = nil
    ) {
        self.eid = eid
        self.iccid = iccid
        self.owner = owner
        self.mno = mno
        self.model = model
        self.serial = serial
        self.firmwareVersion = firmwareVersion
        self.mudURL = mudURL
        self.authCode = authCode
        self.authCodeHash = authCodeHash
    }
}
