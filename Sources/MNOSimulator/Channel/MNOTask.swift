public import Foundation

// GET /v1/mno/tasks → 200 {"items":[Task…], "next": null | "cursor"}
//   Task = {"id":"…", "kind":"generate-key"|"deliver-payload"|"wipe", "eid":"<32 digits>",
//           "state":"pending"|"in-flight"|"succeeded"|"failed"|"superseded", "attempt":1,
//           "createdAt":"ISO 8601", "payloadSequence":3 (deliver-payload only)}

/// One unit of work the registry asks this MNO to do on one device's eSIM.
public struct MNOTask: Hashable, Sendable, Codable {
    /// What the registry asks for. An open set: a kind this simulator does not know is answered `failed`.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Generate a new key pair on the eSIM and upload its CSR.
        public static let generateKey = Self(rawValue: "generate-key")
        /// Fetch the device's current Registry Payload and deliver it to the eSIM.
        public static let deliverPayload = Self(rawValue: "deliver-payload")
        /// Erase the payload and certificates from the eSIM (deactivation).
        public static let wipe = Self(rawValue: "wipe")

        public var description: String { rawValue }
    }

    /// Where the task stands in the registry. An open set.
    public struct State: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let pending = Self(rawValue: "pending")
        public static let inFlight = Self(rawValue: "in-flight")
        public static let succeeded = Self(rawValue: "succeeded")
        public static let failed = Self(rawValue: "failed")
        /// A newer task made this one moot (e.g. a newer payload to deliver).
        public static let superseded = Self(rawValue: "superseded")

        public var description: String { rawValue }
    }

    /// The task's identifier, used in `POST /v1/mno/tasks/{id}/result`.
    public var id: String
    public var kind: Kind
    /// The device's EID.
    public var eid: String
    public var state: State
    /// How many times the task has been offered (1 on first offer).
    public var attempt: Int
    /// When the registry created the task, as sent (ISO 8601).
    public var createdAt: String
    /// For `deliver-payload`: the sequence of the payload the registry means to deliver.
    public var payloadSequence: UInt64?

    public init(
        id: String,
        kind: Kind,
        eid: String,
        state: State = .pending,
        attempt: Int = 1,
        createdAt: String = ISO8601DateFormatter().string(from: Date()),
        payloadSequence: UInt64? = nil
    ) {
        self.id = id
        self.kind = kind
        self.eid = eid
        self.state = state
        self.attempt = attempt
        self.createdAt = createdAt
        self.payloadSequence = payloadSequence
    }
}

/// One page of tasks.
public struct MNOTaskPage: Hashable, Sendable, Codable {
    public var items: [MNOTask]
    /// The cursor of the next page, nil on the last one.
    public var next: String?

    public init(items: [MNOTask], next: String? = nil) {
        self.items = items
        self.next = next
    }
}

/// The registry's answer to a posted result.
public struct MNOTaskReceipt: Hashable, Sendable, Codable {
    /// The task as it now stands.
    public var task: MNOTask
    /// For a `csr` result: the issued device certificate (PEM).
    public var certificate: String?

    public init(task: MNOTask, certificate: String? = nil) {
        self.task = task
        self.certificate = certificate
    }
}

/// The eUICC's state as the MNO reports it (`POST /v1/devices/{eid}/euicc-status`). An open set.
public struct EUICCStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Attached to the network.
    public static let online = Self(rawValue: "online")
    /// The profile is enabled and in use.
    public static let active = Self(rawValue: "active")
    /// Not reachable over the air.
    public static let unreachable = Self(rawValue: "unreachable")

    public var description: String { rawValue }
}
