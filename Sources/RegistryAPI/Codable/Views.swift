import Foundation
import RegistryCore

/// The JSON shapes the REST API speaks (see `GET /openapi.json`); core types stay free of wire concerns.
struct DeviceView: Codable, Sendable {
    struct Pending: Codable, Sendable {
        var gainingAsp: String
        var requestedAt: Date
        var autoApproveAt: Date
    }

    struct ProfileView: Codable, Sendable {
        var rpid: Int64
        var asp: String
        var status: String
        var createdAt: Date
        var revokedAt: Date?
        var revocationReason: String?
    }

    var eid: String
    var iccid: String
    var owner: String
    var asp: String
    var mno: String
    var state: String
    var rpid: Int64?
    var model: String?
    var serial: String?
    var firmwareVersion: String?
    var mudUrl: String?
    var mnoStatus: String?
    var pendingTransfer: Pending?
    var allowedActions: [String]
    var createdAt: Date
    var updatedAt: Date
    var profiles: [ProfileView]?
    var provisioning: ProvisioningView?

    init(_ device: Device, profiles: [Profile]? = nil, provisioning: ProvisioningStatus? = nil) {
        self.provisioning = provisioning.map(ProvisioningView.init)
        eid = device.eid.digits
        iccid = device.iccid.digits
        owner = device.ownerID
        asp = device.aspID
        mno = device.mnoID
        state = device.state.rawValue
        rpid = device.rpid
        model = device.model
        serial = device.serial
        firmwareVersion = device.firmwareVersion
        mudUrl = device.mudURL
        mnoStatus = device.mnoStatus
        pendingTransfer = device.pendingTransfer.map {
            Pending(gainingAsp: $0.gainingASPID, requestedAt: $0.requestedAt, autoApproveAt: $0.autoApproveAt)
        }
        allowedActions = DeviceLifecycle.allowedEvents(in: device.state).map(\.rawValue)
        createdAt = device.createdAt
        updatedAt = device.updatedAt
        self.profiles = profiles?.map {
            ProfileView(
                rpid: $0.rpid, asp: $0.aspID, status: $0.status.rawValue, createdAt: $0.createdAt,
                revokedAt: $0.revokedAt, revocationReason: $0.revocationReason)
        }
    }
}

struct ASPView: Codable, Sendable {
    var id: String
    var name: String
    var fqdn: String
    var port: Int
    var url: String?
    var `protocol`: String
    var hasServerCertificate: Bool
    var createdAt: Date

    init(_ asp: ASP) {
        id = asp.id
        name = asp.name
        fqdn = asp.fqdn
        port = asp.port
        url = asp.url
        self.protocol = asp.transportProtocol
        hasServerCertificate = asp.serverCertificatePEM != nil
        createdAt = asp.createdAt
    }
}

struct Page<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
    var next: String?
}

struct OnboardingView: Codable, Sendable {
    var id: String
    var token: String
}

struct JobView: Codable, Sendable {
    var id: String
    var operation: String
    var status: String
    var total: Int
    var processed: Int
    var succeeded: Int
    var failed: Int
    var createdAt: Date
    var updatedAt: Date
    var finishedAt: Date?

    init(_ job: Job) {
        id = job.id
        operation = job.operation.rawValue
        status = job.status.rawValue
        total = job.total
        processed = job.processed
        succeeded = job.succeeded
        failed = job.failed
        createdAt = job.createdAt
        updatedAt = job.updatedAt
        finishedAt = job.finishedAt
    }
}

struct JobItemView: Codable, Sendable {
    var index: Int
    var eid: String
    var status: String
    var errorCode: String?
    var message: String?

    init(_ item: JobItem) {
        index = item.index
        eid = item.input.eid
        status = item.status.rawValue
        errorCode = item.errorCode
        message = item.message
    }
}

struct TransferCodeView: Codable, Sendable {
    var authCode: String
    var eids: [String]
    var expiresAt: Date
}

struct PublicStatusView: Codable, Sendable {
    var eid: String
    var state: String
    var asp: String?
    var rpid: Int64?
    /// SHA-256 of the current certificate (DER), hex; what the zone's CERT record carries.
    var certificateSha256: String?
    /// SHA-256 of the current certificate's public key (SPKI), hex; the device's TLSA 3 1 1 data.
    var spkiSha256: String?
}

// MARK: - requests

struct CreateASPRequest: Codable, Sendable {
    static let keys: Set<String> = ["name", "fqdn", "port", "url", "protocol", "serverCertificate"]
    var name: String
    var fqdn: String
    var port: Int
    var url: String?
    var `protocol`: String?
    var serverCertificate: String?
}

struct NameRequest: Codable, Sendable {
    static let keys: Set<String> = ["name"]
    var name: String
}

struct CreateDeviceRequest: Codable, Sendable {
    static let keys: Set<String> = ["eid", "iccid", "owner", "mno", "model", "serial", "firmwareVersion", "mudUrl"]
    var eid: String
    var iccid: String
    var owner: String
    var mno: String
    var model: String?
    var serial: String?
    var firmwareVersion: String?
    var mudUrl: String?

    var core: NewDevice {
        NewDevice(
            eid: eid, iccid: iccid, owner: owner, mno: mno, model: model, serial: serial,
            firmwareVersion: firmwareVersion, mudURL: mudUrl)
    }
}

struct PatchDeviceRequest: Codable, Sendable {
    static let keys: Set<String> = ["iccid", "owner", "mno", "model", "serial", "firmwareVersion", "mudUrl"]
    var iccid: String?
    var owner: String?
    var mno: String?
    var model: String?
    var serial: String?
    var firmwareVersion: String?
    var mudUrl: String?

    var core: DevicePatch {
        DevicePatch(
            iccid: iccid, owner: owner, mno: mno, model: model, serial: serial, firmwareVersion: firmwareVersion,
            mudURL: mudUrl)
    }
}

struct TransferRequest: Codable, Sendable {
    static let keys: Set<String> = ["authCode"]
    var authCode: String
}

struct TransferCodesRequest: Codable, Sendable {
    static let keys: Set<String> = ["eids"]
    var eids: [String]
}

struct JobRequest: Codable, Sendable {
    static let keys: Set<String> = ["operation", "items", "owner", "mno", "authCode"]
    struct Item: Codable, Sendable {
        var eid: String
        var iccid: String?
        var owner: String?
        var mno: String?
        var model: String?
        var serial: String?
        var firmwareVersion: String?
        var mudUrl: String?
        var authCode: String?
    }

    var operation: JobOperation
    var items: [Item]
    var owner: String?
    var mno: String?
    var authCode: String?
}

/// Where the device's over-the-air provisioning stands (`GET /v1/devices/{eid}`).
struct ProvisioningView: Codable, Sendable {
    var stage: String
    var euicc: String?
    var payloadSequence: Int64?
    var tasks: [TaskView]

    init(_ status: ProvisioningStatus) {
        stage = status.stage
        euicc = status.euicc
        payloadSequence = status.latestPayloadSequence
        tasks = status.tasks.map(TaskView.init)
    }
}
