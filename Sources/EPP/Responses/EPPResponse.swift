public import Foundation

/// One server response (RFC 5730 §2.6) and the greeting (§2.4), as values the session fills and the encoder writes.
public struct EPPResponse: Sendable, Hashable {
    public var code: EPPResultCode
    /// Why a command failed, in words a client can act on (RFC 5730 `<extValue><reason>`); never a secret.
    public var reason: String?
    /// The EID the reason is about, echoed in `<extValue><value>`.
    public var reasonEID: String?
    public var messageQueue: MessageQueue?
    public var resultData: ResultData?
    public var clTRID: String?
    public var svTRID: String

    public init(
        code: EPPResultCode, reason: String? = nil, reasonEID: String? = nil, messageQueue: MessageQueue? = nil,
        resultData: ResultData? = nil, clTRID: String?, svTRID: String
    ) {
        self.code = code
        self.reason = reason
        self.reasonEID = reasonEID
        self.messageQueue = messageQueue
        self.resultData = resultData
        self.clTRID = clTRID
        self.svTRID = svTRID
    }

    /// `<msgQ count id>` with the head message (poll req) or just the count left (poll ack).
    public struct MessageQueue: Sendable, Hashable {
        public var count: Int
        public var id: String
        public var queuedAt: Date?
        public var message: String?

        public init(count: Int, id: String, queuedAt: Date? = nil, message: String? = nil) {
            self.count = count
            self.id = id
            self.queuedAt = queuedAt
            self.message = message
        }
    }

    /// `<resData>` content in the device namespace.
    public enum ResultData: Sendable, Hashable {
        case check([CheckResult])
        case info(DeviceInfo)
        case create(eid: String, createdAt: Date)
        case transfer(TransferData)
        case notification(Notification)
        /// `<iotdev:lstData>`: a page of the ASP's devices and, when more follow, the EID to continue after.
        case list([ListedDevice], next: String?)
    }

    /// One `<iotdev:device>` of a list page.
    public struct ListedDevice: Sendable, Hashable {
        public var eid: String
        public var status: DeviceStatus

        public init(eid: String, status: DeviceStatus) {
            self.eid = eid
            self.status = status
        }
    }

    /// One `<iotdev:cd>`.
    public struct CheckResult: Sendable, Hashable {
        public var eid: String
        public var available: Bool
        public var reason: String?

        public init(eid: String, available: Bool, reason: String? = nil) {
            self.eid = eid
            self.available = available
            self.reason = reason
        }
    }

    /// `<iotdev:infData>`: the device record as the sponsoring ASP sees it.
    public struct DeviceInfo: Sendable, Hashable {
        public var eid: String
        public var iccid: String
        public var statuses: [DeviceStatus]
        public var owner: String
        public var mno: String
        /// The sponsoring ASP (EPP's clID).
        public var sponsor: String
        public var rpid: Int64?
        public var model: String?
        public var serial: String?
        public var firmwareVersion: String?
        public var mudURL: String?
        public var createdAt: Date
        public var updatedAt: Date
        /// The device's current certificate (DER), as REST's `GET /v1/devices/{eid}/certificate` gives it: what
        /// the ASP pins or checks against the zone's TLSA. Nil until the MNO's CSR is signed, and once revoked.
        public var certificate: [UInt8]?

        public init(
            eid: String, iccid: String, statuses: [DeviceStatus], owner: String, mno: String, sponsor: String,
            rpid: Int64? = nil, model: String? = nil, serial: String? = nil, firmwareVersion: String? = nil,
            mudURL: String? = nil, createdAt: Date, updatedAt: Date, certificate: [UInt8]? = nil
        ) {
            self.eid = eid
            self.iccid = iccid
            self.statuses = statuses
            self.owner = owner
            self.mno = mno
            self.sponsor = sponsor
            self.rpid = rpid
            self.model = model
            self.serial = serial
            self.firmwareVersion = firmwareVersion
            self.mudURL = mudURL
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.certificate = certificate
        }
    }

    /// `<iotdev:trnData>` (RFC 5731 §3.1.3 shape): who asked, who acts, when.
    public struct TransferData: Sendable, Hashable {
        public var eid: String
        public var status: TransferStatus
        /// The requesting (gaining) ASP.
        public var requestingID: String
        public var requestedAt: Date
        /// The ASP that must act (the losing one).
        public var actingID: String
        /// When the action was taken, or by when it must be taken while pending.
        public var actedAt: Date

        public init(
            eid: String, status: TransferStatus, requestingID: String, requestedAt: Date, actingID: String,
            actedAt: Date
        ) {
            self.eid = eid
            self.status = status
            self.requestingID = requestingID
            self.requestedAt = requestedAt
            self.actingID = actingID
            self.actedAt = actedAt
        }
    }

    /// `<iotdev:notData>`: a change to one of the ASP's devices made by someone else (owner, MNO, operator).
    public struct Notification: Sendable, Hashable {
        public var eid: String
        public var event: String
        public var actor: String?
        public var rpid: Int64?

        public init(eid: String, event: String, actor: String? = nil, rpid: Int64? = nil) {
            self.eid = eid
            self.event = event
            self.actor = actor
            self.rpid = rpid
        }
    }
}

/// The transfer states of RFC 5730 §2.9.3.4 / RFC 5731 `trStatus`.
public struct TransferStatus: RawRepresentable, Hashable, Sendable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = Self(rawValue: "pending")
    public static let clientApproved = Self(rawValue: "clientApproved")
    public static let clientRejected = Self(rawValue: "clientRejected")
    public static let clientCancelled = Self(rawValue: "clientCancelled")
    public static let serverApproved = Self(rawValue: "serverApproved")
    public static let serverCancelled = Self(rawValue: "serverCancelled")
}

/// The greeting (RFC 5730 §2.4), sent on connect and in answer to `<hello>`.
public struct EPPGreeting: Sendable, Hashable {
    public var serverID: String
    public var serverDate: Date
    public var objectURIs: [String]

    public init(serverID: String, serverDate: Date, objectURIs: [String] = [EPPNamespace.iotDevice]) {
        self.serverID = serverID
        self.serverDate = serverDate
        self.objectURIs = objectURIs
    }
}
