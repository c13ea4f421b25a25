// RFC 5730 §2.5 command frame, and the device mapping's commands (Schemas/iotdevice-1.0.xsd):
//
//   <epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
//     <hello/>                                           | <command>
//                                                            <login>|<logout/>|<poll op="req|ack" msgID=…/>
//                                                            |<check>|<info>|<create>|<update>|<delete>
//                                                            |<transfer op="request|query|approve|reject|cancel">
//                                                              <iotdev:… xmlns:iotdev="urn:ietf:params:xml:ns:iotdevice-1.0">
//                                                            <extension>…</extension>?
//                                                            <clTRID>3..64 chars</clTRID>?
//                                                          </command>
//   </epp>

/// One client frame, decoded: a hello, or a command with its client transaction id.
public enum EPPRequest: Sendable, Hashable {
    case hello
    case command(EPPCommand, clTRID: String?)
}

/// The commands this server understands (RFC 5730 §2.9, with the device object mapping for object commands).
public enum EPPCommand: Sendable, Hashable {
    case login(Login)
    case logout
    /// `<poll op="req"/>`.
    case pollRequest
    /// `<poll op="ack" msgID="…"/>`.
    case pollAcknowledge(messageID: String)
    /// Availability of up to ``DeviceCommandDecoder/maxCheck`` EIDs at once.
    case check(eids: [String])
    /// A device's record; the authInfo (the owner's transfer code) lets a would-be gaining ASP see it.
    case info(eid: String, authInfo: String?)
    case create(Create)
    case update(Update)
    case delete(eid: String)
    case transfer(TransferOperation, eid: String, authInfo: String?)
    /// The sponsoring ASP's devices, a page at a time in EID order (a protocol extension, RFC 5730 §2.7.3: EPP's
    /// object commands name one object, and REST's `GET /v1/devices` has no twin in RFC 5731).
    case list(List)

    /// `<extension><iotdev:command><iotdev:list>`: optional status filter, the last EID of the previous page, and
    /// a page size of 1 to ``maxLimit``.
    public struct List: Sendable, Hashable {
        public static let maxLimit = 1_000
        public var status: DeviceStatus?
        public var after: String?
        public var limit: Int

        public init(status: DeviceStatus? = nil, after: String? = nil, limit: Int = 100) {
            self.status = status
            self.after = after
            self.limit = limit
        }
    }

    /// `<login>`: clID is the ASP id, pw its API token (RFC 5730 §2.9.1.1).
    public struct Login: Sendable, Hashable {
        public var clientID: String
        /// The API token. Never logged, never in a description.
        public var password: String
        public var newPassword: String?
        public var version: String
        public var language: String
        public var objectURIs: [String]
        public var extensionURIs: [String]

        public init(
            clientID: String, password: String, newPassword: String? = nil, version: String = "1.0",
            language: String = "en", objectURIs: [String] = [], extensionURIs: [String] = []
        ) {
            self.clientID = clientID
            self.password = password
            self.newPassword = newPassword
            self.version = version
            self.language = language
            self.objectURIs = objectURIs
            self.extensionURIs = extensionURIs
        }
    }

    /// `<iotdev:create>`: the same fields as `POST /v1/devices`.
    public struct Create: Sendable, Hashable {
        public var eid: String
        public var iccid: String
        public var owner: String
        public var mno: String
        public var model: String?
        public var serial: String?
        public var firmwareVersion: String?
        public var mudURL: String?

        public init(
            eid: String, iccid: String, owner: String, mno: String, model: String? = nil, serial: String? = nil,
            firmwareVersion: String? = nil, mudURL: String? = nil
        ) {
            self.eid = eid
            self.iccid = iccid
            self.owner = owner
            self.mno = mno
            self.model = model
            self.serial = serial
            self.firmwareVersion = firmwareVersion
            self.mudURL = mudURL
        }
    }

    /// `<iotdev:update>`: status add/rem (lifecycle) or chg (record fields), as RFC 5731 §3.2.5 shapes them.
    public struct Update: Sendable, Hashable {
        public var eid: String
        public var add: [DeviceStatus]
        public var remove: [DeviceStatus]
        public var change: Change?

        public init(eid: String, add: [DeviceStatus] = [], remove: [DeviceStatus] = [], change: Change? = nil) {
            self.eid = eid
            self.add = add
            self.remove = remove
            self.change = change
        }

        /// `<iotdev:chg>`: nil leaves a field as it is (`PATCH /v1/devices/{eid}`).
        public struct Change: Sendable, Hashable {
            public var iccid: String?
            public var owner: String?
            public var mno: String?
            public var model: String?
            public var serial: String?
            public var firmwareVersion: String?
            public var mudURL: String?

            public init(
                iccid: String? = nil, owner: String? = nil, mno: String? = nil, model: String? = nil,
                serial: String? = nil, firmwareVersion: String? = nil, mudURL: String? = nil
            ) {
                self.iccid = iccid
                self.owner = owner
                self.mno = mno
                self.model = model
                self.serial = serial
                self.firmwareVersion = firmwareVersion
                self.mudURL = mudURL
            }
        }
    }

    /// The `op` of `<transfer>` (RFC 5730 §2.9.3.4).
    public enum TransferOperation: String, Sendable, Hashable, CaseIterable {
        case request, query, approve, reject, cancel
    }
}

/// A device status in EPP terms (RFC 5731 §2.3 vocabulary), derived from the lifecycle state.
///
/// | state | status |
/// |---|---|
/// | registered | `inactive` (no identity published yet) |
/// | active | `ok` |
/// | transfer-pending | `pendingTransfer` |
/// | deactivated | `clientHold` (de-provisioned: out of the zone, still listed) |
///
/// Update maps `rem inactive` to activate, `add clientHold` to deactivate and `rem clientHold` to reactivate.
public struct DeviceStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let ok = Self(rawValue: "ok")
    public static let inactive = Self(rawValue: "inactive")
    public static let pendingTransfer = Self(rawValue: "pendingTransfer")
    public static let clientHold = Self(rawValue: "clientHold")

    /// The statuses the schema allows.
    public static let all: [DeviceStatus] = [.ok, .inactive, .pendingTransfer, .clientHold]

    public var description: String { rawValue }
}
