import Foundation

/// The OpenAPI 3.1 description of the REST API, served at `/openapi.json` and kept in `docs/openapi.json`.
///
/// Written as data next to the routes so the two change together; a test checks the committed file matches and
/// `openapi-spec-validator` and `schemathesis` check it against the live server in CI.
public enum OpenAPIDocument {
    /// The document as pretty, key-sorted JSON.
    public static let json: [UInt8] = {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return Array(data) + [0x0A]
    }()

    // MARK: - schema helpers

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    private static var string: [String: Any] { ["type": "string"] }
    private static var dateTime: [String: Any] { ["type": "string", "format": "date-time"] }
    private static func nullable(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        if let type = schema["type"] as? String { schema["type"] = [type, "null"] }
        return schema
    }
    private static func object(_ properties: [String: [String: Any]], required: [String] = [], closed: Bool = true)
        -> [String: Any]
    {
        var schema: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        if closed { schema["additionalProperties"] = false }
        return schema
    }
    private static func page(of item: String) -> [String: Any] {
        object(
            ["items": ["type": "array", "items": ref(item)], "next": nullable(string)], required: ["items"],
            closed: false)
    }
    private static var eidSchema: [String: Any] { [
        "type": "string", "pattern": "^[0-9]{32}$", "description": "EID, 32 digits, ISO 7064 MOD 97-10 check digits",
        "example": "89049032000000000000000000000163",
    ] }
    private static var iccidSchema: [String: Any] { [
        "type": "string", "pattern": "^[0-9]{18,20}$", "description": "ICCID with its Luhn check digit",
        "example": "89882280000000000018",
    ] }

    // MARK: - operation helpers

    private static var problemResponse: [String: Any] { [
        "description": "RFC 9457 problem: what was refused and why",
        "content": ["application/problem+json": ["schema": ref("Problem")]],
    ] }

    private static func json(_ schema: [String: Any], _ description: String) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    private static func operation(
        _ id: String, _ summary: String, tag: String, secured: Bool = true, parameters: [[String: Any]] = [],
        body: [String: Any]? = nil, responses: [String: [String: Any]]
    ) -> [String: Any] {
        var operation: [String: Any] = [
            "operationId": id, "summary": summary, "tags": [tag],
            "responses": responses.merging(["default": problemResponse]) { a, _ in a },
        ]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if let body { operation["requestBody"] = body }
        operation["security"] = secured ? [["bearer": [String]()]] : [[String: [String]]]()
        return operation
    }

    private static func pathParameter(_ name: String, _ schema: [String: Any]) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": schema]
    }

    private static func queryParameter(_ name: String, _ schema: [String: Any], _ description: String) -> [String: Any]
    {
        ["name": name, "in": "query", "required": false, "schema": schema, "description": description]
    }

    private static func jsonBody(_ schema: [String: Any]) -> [String: Any] {
        ["required": true, "content": ["application/json": ["schema": schema]]]
    }

    private static var eidParameter: [String: Any] { pathParameter("eid", eidSchema) }
    private static var estEID: [String: Any] {
        queryParameter("eid", eidSchema, "the device (default: the EID in the CSR's subject CN)")
    }

    private static func body(_ types: [String], _ schema: [String: Any]) -> [String: Any] {
        ["required": true, "content": Dictionary(uniqueKeysWithValues: types.map { ($0, ["schema": schema]) })]
    }

    private static func content(_ type: String, _ schema: [String: Any], _ description: String) -> [String: Any] {
        ["description": description, "content": [type: ["schema": schema]]]
    }
    private static var paging: [[String: Any]] { [
        queryParameter("cursor", string, "the `next` value of the previous page"),
        queryParameter("limit", ["type": "integer", "minimum": 1, "maximum": 1000], "page size (default 100)"),
    ] }

    private static func deviceAction(_ id: String, _ summary: String) -> [String: Any] {
        ["post": operation(
            id, summary, tag: "devices", parameters: [eidParameter], responses: ["200": json(ref("Device"), "the device")])]
    }

    // MARK: - the document

    static var document: [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Secure IoT Registry", "version": "1.0.0",
                "description": "Device identities registered by ASPs like domains by registrars; see DESIGN.md.",
            ],
            "servers": [["url": "http://127.0.0.1:8080"]],
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": schemas,
            ],
            "paths": paths,
        ]
    }

    static var schemas: [String: Any] {
        [
            "Problem": object(
                [
                    "type": string, "title": string, "status": ["type": "integer"], "detail": string,
                    "code": string, "instance": string,
                ], required: ["type", "title", "status", "detail", "code"], closed: false),
            "Onboarding": object(["id": string, "token": string], required: ["id", "token"]),
            "CreateASP": object(
                [
                    "name": ["type": "string", "minLength": 1, "maxLength": 200],
                    "fqdn": ["type": "string", "example": "iot.parkoserv.test"],
                    "port": ["type": "integer", "minimum": 1, "maximum": 65535],
                    "url": string, "protocol": ["type": "string", "enum": ["mqtts", "https", "coaps", "tls"]],
                    "serverCertificate": ["type": "string", "description": "PEM"],
                ], required: ["name", "fqdn", "port"]),
            "ASP": object(
                [
                    "id": string, "name": string, "fqdn": string, "port": ["type": "integer"], "url": nullable(string),
                    "protocol": string, "hasServerCertificate": ["type": "boolean"], "createdAt": dateTime,
                ], required: ["id", "name", "fqdn", "port", "protocol", "createdAt"], closed: false),
            "ASPList": page(of: "ASP"),
            "Name": object(["name": ["type": "string", "minLength": 1, "maxLength": 200]], required: ["name"]),
            "ClientCertificate": object(["asp": string, "sha256": string], required: ["asp", "sha256"]),
            "CreateDevice": object(
                [
                    "eid": eidSchema, "iccid": iccidSchema, "owner": string, "mno": string, "model": string,
                    "serial": string, "firmwareVersion": string, "mudUrl": string,
                ], required: ["eid", "iccid", "owner", "mno"]),
            "PatchDevice": object(
                [
                    "iccid": iccidSchema, "owner": string, "mno": string, "model": string, "serial": string,
                    "firmwareVersion": string, "mudUrl": string,
                ]),
            "Profile": object(
                [
                    "rpid": ["type": "integer"], "asp": string, "status": ["type": "string", "enum": ["active", "revoked"]],
                    "createdAt": dateTime, "revokedAt": nullable(dateTime), "revocationReason": nullable(string),
                ], required: ["rpid", "asp", "status", "createdAt"], closed: false),
            "Device": object(
                [
                    "eid": eidSchema, "iccid": iccidSchema, "owner": string, "asp": string, "mno": string,
                    "state": [
                        "type": "string",
                        "enum": ["registered", "active", "transfer-pending", "deactivated", "deleted"],
                    ],
                    "rpid": nullable(["type": "integer"]), "model": nullable(string), "serial": nullable(string),
                    "firmwareVersion": nullable(string), "mudUrl": nullable(string), "mnoStatus": nullable(string),
                    "pendingTransfer": [
                        "type": ["object", "null"],
                        "properties": ["gainingAsp": string, "requestedAt": dateTime, "autoApproveAt": dateTime],
                    ],
                    "allowedActions": ["type": "array", "items": string],
                    "createdAt": dateTime, "updatedAt": dateTime,
                    "profiles": ["type": "array", "items": ref("Profile")],
                    "provisioning": ref("Provisioning"),
                ], required: ["eid", "iccid", "owner", "asp", "mno", "state", "createdAt", "updatedAt"],
                closed: false),
            "DeviceList": page(of: "Device"),
            "Task": object(
                [
                    "id": string, "kind": ["type": "string", "enum": ["generate-key", "deliver-payload", "wipe"]],
                    "eid": eidSchema,
                    "state": [
                        "type": "string", "enum": ["pending", "in-flight", "succeeded", "failed", "superseded"],
                    ],
                    "attempt": ["type": "integer", "minimum": 0], "payloadSequence": nullable(["type": "integer"]),
                    "outcome": nullable(string), "createdAt": dateTime, "updatedAt": dateTime,
                ], required: ["id", "kind", "eid", "state", "attempt", "createdAt", "updatedAt"]),
            "TaskList": page(of: "Task"),
            "TaskResult": object(
                [
                    "outcome": ["type": "string", "enum": ["csr", "delivered", "wiped", "failed"]],
                    "csr": ["type": "string", "description": "PEM CSR made by the eSIM (outcome csr)"],
                    "keyAgreementPublicKey": [
                        "type": "string", "description": "base64 of the eSIM's 65-byte X9.63 key-agreement public key",
                    ],
                    "payloadSequence": ["type": "integer", "description": "the delivered sequence (outcome delivered)"],
                    "reason": ["type": "string", "maxLength": 1000], "retry": ["type": "boolean"],
                ], required: ["outcome"]),
            "TaskAnswer": object(
                ["task": ref("Task"), "certificate": nullable(string)], required: ["task"]),
            "Provisioning": object(
                [
                    "stage": string, "euicc": nullable(string), "payloadSequence": nullable(["type": "integer"]),
                    "tasks": ["type": "array", "items": ref("Task")],
                ], required: ["stage", "tasks"]),
            "EUICCStatus": object(
                ["status": ["type": "string", "enum": ["online", "active", "unreachable"]]], required: ["status"]),
            "TransferCode": object(
                ["authCode": string, "eids": ["type": "array", "items": eidSchema], "expiresAt": dateTime],
                required: ["authCode", "eids", "expiresAt"]),
            "TransferCodesRequest": object(
                ["eids": ["type": "array", "items": eidSchema, "minItems": 1]], required: ["eids"]),
            "TransferRequest": object(["authCode": ["type": "string", "minLength": 1]], required: ["authCode"]),
            "JobRequest": object(
                [
                    "operation": [
                        "type": "string", "enum": ["create", "activate", "transfer", "deactivate", "reactivate", "delete"],
                    ],
                    "owner": string, "mno": string, "authCode": string,
                    "items": [
                        "type": "array", "minItems": 1,
                        "items": object(
                            [
                                "eid": eidSchema, "iccid": iccidSchema, "owner": string, "mno": string,
                                "model": string, "serial": string, "firmwareVersion": string, "mudUrl": string,
                                "authCode": string,
                            ], required: ["eid"]),
                    ],
                ], required: ["operation", "items"]),
            "Job": object(
                [
                    "id": string, "operation": string,
                    "status": ["type": "string", "enum": ["queued", "running", "completed"]],
                    "total": ["type": "integer"], "processed": ["type": "integer"], "succeeded": ["type": "integer"],
                    "failed": ["type": "integer"], "createdAt": dateTime, "updatedAt": dateTime,
                    "finishedAt": nullable(dateTime),
                ], required: ["id", "operation", "status", "total", "processed", "succeeded", "failed"],
                closed: false),
            "JobItem": object(
                [
                    "index": ["type": "integer"], "eid": string,
                    "status": ["type": "string", "enum": ["pending", "succeeded", "failed"]],
                    "errorCode": nullable(string), "message": nullable(string),
                ], required: ["index", "eid", "status"], closed: false),
            "JobItemList": page(of: "JobItem"),
            "PublicStatus": object(
                [
                    "eid": eidSchema, "state": string, "asp": nullable(string), "rpid": nullable(["type": "integer"]),
                    "certificateSha256": ["type": "string", "description": "SHA-256 of the current certificate (DER)"],
                    "spkiSha256": ["type": "string", "description": "SHA-256 of its public key (TLSA 3 1 1 data)"],
                ], required: ["eid", "state"], closed: false),
            "PEM": ["type": "string", "description": "PEM text (RFC 7468)"],
            "Binary": ["type": "string", "format": "binary"],
            "Base64": ["type": "string", "description": "base64 DER (RFC 7030 §4.1.3: certs-only PKCS#7 or PKCS#10)"],
            "Health": object(["status": ["type": "string", "enum": ["ok", "unavailable"]]], required: ["status"]),
        ]
    }

    static var paths: [String: Any] {
        [
            "/v1/asps": [
                "post": operation(
                    "createASP", "Onboard an ASP (operator)", tag: "tenants", body: jsonBody(ref("CreateASP")),
                    responses: ["201": json(ref("Onboarding"), "the ASP's id and token, shown once")]),
                "get": operation(
                    "listASPs", "List ASPs (operator)", tag: "tenants", parameters: paging,
                    responses: ["200": json(ref("ASPList"), "a page of ASPs")]),
            ],
            "/v1/asps/{id}": [
                "get": operation(
                    "getASP", "One ASP (operator, that ASP)", tag: "tenants",
                    parameters: [pathParameter("id", string)], responses: ["200": json(ref("ASP"), "the ASP")])
            ],
            "/v1/asps/{id}/certificates": [
                "post": operation(
                    "addASPCertificate", "Register an EPP client certificate (operator, that ASP)", tag: "tenants",
                    parameters: [pathParameter("id", string)],
                    body: [
                        "required": true,
                        "content": ["application/x-pem-file": ["schema": string], "text/plain": ["schema": string]],
                    ],
                    responses: ["201": json(ref("ClientCertificate"), "the certificate's fingerprint")])
            ],
            "/v1/owners": [
                "post": operation(
                    "createOwner", "Onboard a device owner (operator)", tag: "tenants", body: jsonBody(ref("Name")),
                    responses: ["201": json(ref("Onboarding"), "the owner's id and token, shown once")])
            ],
            "/v1/mnos": [
                "post": operation(
                    "createMNO", "Onboard a mobile network operator (operator)", tag: "tenants",
                    body: jsonBody(ref("Name")),
                    responses: ["201": json(ref("Onboarding"), "the MNO's id and token, shown once")])
            ],
            "/v1/devices": [
                "post": operation(
                    "createDevice", "Register a device (ASP)", tag: "devices", body: jsonBody(ref("CreateDevice")),
                    responses: ["201": json(ref("Device"), "the registered device")]),
                "get": operation(
                    "listDevices", "List the devices you may see", tag: "devices",
                    parameters: paging + [
                        queryParameter(
                            "state",
                            [
                                "type": "string",
                                "enum": ["registered", "active", "transfer-pending", "deactivated", "deleted"],
                            ], "only devices in this state")
                    ], responses: ["200": json(ref("DeviceList"), "a page of devices")]),
            ],
            "/v1/devices/{eid}": [
                "get": operation(
                    "getDevice", "One device with its profiles", tag: "devices", parameters: [eidParameter],
                    responses: ["200": json(ref("Device"), "the device")]),
                "patch": operation(
                    "updateDevice", "Update a device's record (sponsoring ASP)", tag: "devices",
                    parameters: [eidParameter], body: jsonBody(ref("PatchDevice")),
                    responses: ["200": json(ref("Device"), "the device")]),
                "delete": operation(
                    "deleteDevice", "Delete a deactivated device (sponsoring ASP)", tag: "devices",
                    parameters: [eidParameter], responses: ["200": json(ref("Device"), "the deleted device")]),
            ],
            "/v1/devices/{eid}/activate": deviceAction("activateDevice", "Activate or reactivate (sponsoring ASP)"),
            "/v1/devices/{eid}/deactivate": deviceAction("deactivateDevice", "Deactivate (sponsoring ASP, owner)"),
            "/v1/devices/{eid}/rekey": deviceAction("rekeyDevice", "Mint a new profile (sponsoring ASP)"),
            "/v1/devices/{eid}/transfer-code": [
                "post": operation(
                    "issueTransferCode", "Issue a one-time transfer code (owner)", tag: "transfers",
                    parameters: [eidParameter],
                    responses: ["201": json(ref("TransferCode"), "the code, shown once")])
            ],
            "/v1/transfer-codes": [
                "post": operation(
                    "issueFleetTransferCode", "Issue one transfer code for a set of devices (owner)",
                    tag: "transfers", body: jsonBody(ref("TransferCodesRequest")),
                    responses: ["201": json(ref("TransferCode"), "the code, shown once")])
            ],
            "/v1/devices/{eid}/transfer": [
                "post": operation(
                    "requestTransfer", "Request a transfer with the owner's code (gaining ASP)", tag: "transfers",
                    parameters: [eidParameter], body: jsonBody(ref("TransferRequest")),
                    responses: [
                        "200": json(ref("Device"), "transferred at once"),
                        "202": json(ref("Device"), "pending the losing ASP"),
                    ])
            ],
            "/v1/devices/{eid}/transfer/approve": deviceAction("approveTransfer", "Approve (losing ASP)"),
            "/v1/devices/{eid}/transfer/reject": deviceAction("rejectTransfer", "Reject (losing ASP)"),
            "/v1/devices/{eid}/transfer/cancel": deviceAction("cancelTransfer", "Cancel (gaining ASP)"),
            "/v1/jobs": [
                "post": operation(
                    "submitJob", "Submit a bulk job (ASP, owner)", tag: "jobs",
                    parameters: [
                        queryParameter("operation", string, "for CSV bodies: the operation"),
                        queryParameter("owner", string, "for CSV bodies: default owner"),
                        queryParameter("mno", string, "for CSV bodies: default MNO"),
                    ],
                    body: [
                        "required": true,
                        "content": [
                            "application/json": ["schema": ref("JobRequest")],
                            "text/csv": ["schema": string],
                        ],
                    ], responses: ["202": json(ref("Job"), "the queued job")])
            ],
            "/v1/jobs/{id}": [
                "get": operation(
                    "getJob", "A job's progress", tag: "jobs", parameters: [pathParameter("id", string)],
                    responses: ["200": json(ref("Job"), "the job")])
            ],
            "/v1/jobs/{id}/items": [
                "get": operation(
                    "getJobItems", "A job's per-item results", tag: "jobs",
                    parameters: [pathParameter("id", string)] + paging,
                    responses: ["200": json(ref("JobItemList"), "a page of item results")])
            ],
            "/v1/public/devices/{eid}": [
                "get": operation(
                    "publicDeviceStatus", "Public status of a device (anyone)", tag: "public", secured: false,
                    parameters: [eidParameter], responses: ["200": json(ref("PublicStatus"), "the status")])
            ],
            "/v1/mno/tasks": [
                "get": operation(
                    "getMNOTasks", "Tasks due for this MNO, leased to it; long-polls up to `wait` seconds (MNO)",
                    tag: "mno",
                    parameters: [
                        queryParameter("limit", ["type": "integer", "minimum": 1, "maximum": 1000], "most tasks"),
                        queryParameter("wait", ["type": "number", "minimum": 0, "maximum": 5], "long-poll seconds"),
                    ], responses: ["200": json(ref("TaskList"), "the tasks, oldest first")])
            ],
            "/v1/mno/tasks/{id}/result": [
                "post": operation(
                    "postMNOTaskResult", "Answer a task: CSR, delivery receipt, wipe, or failure (MNO)", tag: "mno",
                    parameters: [pathParameter("id", string)], body: jsonBody(ref("TaskResult")),
                    responses: ["200": json(ref("TaskAnswer"), "the task as it now stands")])
            ],
            "/v1/devices/{eid}/tasks": [
                "get": operation(
                    "getDeviceTasks", "The device's MNO tasks, newest first", tag: "mno", parameters: [eidParameter],
                    responses: ["200": json(ref("TaskList"), "the tasks")])
            ],
            "/v1/devices/{eid}/payload": [
                "get": operation(
                    "getDevicePayload", "The current signed Registry Payload, COSE_Sign1 (MNO)", tag: "mno",
                    parameters: [eidParameter],
                    responses: ["200": content("application/cose", ref("Binary"), "the payload")])
            ],
            "/v1/asps/{id}/webhook": [
                "put": operation(
                    "putASPWebhook", "Set where the ASP is told of its devices' changes; answers the HMAC key (ASP)",
                    tag: "tenants", parameters: [pathParameter("id", string)],
                    body: jsonBody(object(["url": ["type": "string", "maxLength": 2048]], required: ["url"])),
                    responses: ["200": json(
                        object(["url": string, "secret": string, "signature": string], required: ["url", "secret"]),
                        "the webhook and its key")])
            ],
            "/v1/devices/{eid}/euicc-status": [
                "post": operation(
                    "postEUICCStatus", "Report the eUICC's status (MNO)", tag: "mno", parameters: [eidParameter],
                    body: jsonBody(ref("EUICCStatus")), responses: ["204": ["description": "recorded"]])
            ],
            "/v1/devices/{eid}/csr": [
                "post": operation(
                    "submitCSR", "Submit the device's CSR; answers its certificate and issuing CA (MNO)",
                    tag: "certificates", parameters: [eidParameter],
                    body: body(["application/pkcs10", "application/x-pem-file", "text/plain"], ref("PEM")),
                    responses: ["201": content("application/pem-certificate-chain", ref("PEM"), "the certificate")])
            ],
            "/v1/devices/{eid}/certificate": [
                "get": operation(
                    "getDeviceCertificate", "The device's current certificate and issuing CA (ASP, owner, MNO)",
                    tag: "certificates", parameters: [eidParameter],
                    responses: ["200": content("application/pem-certificate-chain", ref("PEM"), "the certificate")])
            ],
            "/.well-known/ca/{aki}.pem": [
                "get": operation(
                    "getCACertificate", "A CA certificate by key identifier (lowercase hex or dash-joined hex)",
                    tag: "certificates", secured: false, parameters: [pathParameter("aki", string)],
                    responses: ["200": content("application/x-pem-file", ref("PEM"), "the CA certificate")])
            ],
            "/crl/{aki}.crl": [
                "get": operation(
                    "getCRL", "A freshly signed CRL (DER) of the CA with this key identifier", tag: "certificates",
                    secured: false, parameters: [pathParameter("aki", string)],
                    responses: ["200": content("application/pkix-crl", ref("Binary"), "the CRL")])
            ],
            "/ocsp": [
                "post": operation(
                    "ocsp", "OCSP (RFC 6960): good, revoked or unknown, signed", tag: "certificates", secured: false,
                    body: body(["application/ocsp-request", "application/octet-stream"], ref("Binary")),
                    responses: ["200": content("application/ocsp-response", ref("Binary"), "the OCSP response")])
            ],
            "/.well-known/est/cacerts": [
                "get": operation(
                    "estCACerts", "EST cacerts (RFC 7030 §4.1): the CA certificates", tag: "est", secured: false,
                    responses: ["200": content("application/pkcs7-mime", ref("Base64"), "certs-only PKCS#7")])
            ],
            "/.well-known/est/simpleenroll": [
                "post": operation(
                    "estSimpleEnroll", "EST simpleenroll (RFC 7030 §4.2.1), bootstrapped by the MNO's token",
                    tag: "est", parameters: [estEID], body: body(["application/pkcs10", "text/plain"], ref("Base64")),
                    responses: ["200": content("application/pkcs7-mime", ref("Base64"), "the certificate")])
            ],
            "/.well-known/est/simplereenroll": [
                "post": operation(
                    "estSimpleReenroll",
                    "EST simplereenroll (RFC 7030 §4.2.2): renew with the current certificate as TLS client "
                        + "certificate (EST listener) or the MNO's token",
                    tag: "est", parameters: [estEID], body: body(["application/pkcs10", "text/plain"], ref("Base64")),
                    responses: ["200": content("application/pkcs7-mime", ref("Base64"), "the renewed certificate")])
            ],
            "/healthz": [
                "get": operation(
                    "health", "Health", tag: "operations", secured: false,
                    responses: ["200": json(ref("Health"), "healthy"), "503": json(ref("Health"), "unhealthy")])
            ],
            "/metrics": [
                "get": operation(
                    "metrics", "Prometheus metrics", tag: "operations", secured: false,
                    responses: ["200": ["description": "text exposition", "content": ["text/plain": ["schema": string]]]])
            ],
        ]
    }
}
