import Foundation
import PKI
import RegistryCore
import SwiftASN1
import Testing
import X509

/// Who may call what over REST, as one table: every endpoint of INTERFACE.md that the router serves × every role.
///
/// The table (``rows``) is the design (INTERFACE.md "who", DESIGN.md "Roles and what each may do", and
/// `RegistryError.Code`: a role that may never do something is `forbidden`, another tenant's object is `notFound`).
/// Each cell runs against a fresh live registry. A refused cell must answer problem+json with the expected status and
/// change nothing (audit head and device rows identical); a cell whose caller cannot see the target must answer
/// exactly as for a target that does not exist (status, `code`, and `detail` with the identifier masked), so a
/// refusal never reveals that another tenant's device, job or ASP exists.
@Suite struct AuthorizationMatrixTests {
    /// The callers of the matrix, relative to the fixture device (sponsored by ParkoServ, owned by the city, on
    /// Telco's network) and, for pending transfers, CarParkServ as the gaining ASP.
    enum Role: String, CaseIterable, Sendable {
        case registryOperator = "operator"
        case sponsorASP = "own ASP"
        /// CarParkServ: not the sponsor; the gaining side of transfers.
        case otherASP = "other ASP"
        /// A third ASP with no relation to anything in the fixture.
        case bystanderASP = "bystander ASP"
        case owner = "owner"
        case otherOwner = "other owner"
        case mno = "MNO"
        case otherMNO = "other MNO"
        case anonymous = "anonymous"
        case bogusToken = "bogus token"
    }

    /// What the design says one cell answers.
    enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// Allowed: this 2xx status.
        case ok(Int)
        /// The role may never do this: 403 `forbidden`.
        case forbidden
        /// Another tenant's object: 404 `not-found`, the same answer as for an object that does not exist.
        case hidden
        /// A role that may never do this, on an object it cannot see: refused before looking, 403 `forbidden` or
        /// 404 `not-found`, as long as it is the same answer as for an object that does not exist.
        case unseen
        /// No or unknown credentials on a private endpoint: 401 `unauthenticated`.
        case unauthenticated
        /// Refused for another reason than authorisation (the request makes no sense for this caller).
        case rejected(Int, String)

        var description: String {
            switch self {
            case .ok(let status): "\(status)"
            case .forbidden: "403"
            case .hidden: "404"
            case .unseen: "403|404"
            case .unauthenticated: "401"
            case .rejected(let status, let code): "\(status) \(code)"
            }
        }
    }

    /// The fixture device's state before the cell's request.
    enum DeviceSetup: Sendable {
        case registered, active, deactivated
        /// Active under ParkoServ with a transfer to CarParkServ pending (window policy).
        case transferPending
        /// Active, and its MNO has had a certificate issued for it.
        case certified
    }

    /// What the path's `{id}` names, for the "same as nonexistent" comparison.
    enum Target: Sendable { case none, device, asp, job }

    enum Endpoint: String, CaseIterable, Sendable {
        case createASP = "POST /v1/asps"
        case listASPs = "GET /v1/asps"
        case showASP = "GET /v1/asps/{asp}"
        case addASPCertificate = "POST /v1/asps/{asp}/certificates"
        case createOwner = "POST /v1/owners"
        case createMNO = "POST /v1/mnos"
        case createDevice = "POST /v1/devices"
        case listDevices = "GET /v1/devices"
        case showDevice = "GET /v1/devices/{eid}"
        case updateDevice = "PATCH /v1/devices/{eid}"
        case deleteDevice = "DELETE /v1/devices/{eid}"
        case activate = "POST /v1/devices/{eid}/activate"
        case deactivate = "POST /v1/devices/{eid}/deactivate"
        case rekey = "POST /v1/devices/{eid}/rekey"
        case transferCode = "POST /v1/devices/{eid}/transfer-code"
        case transferCodes = "POST /v1/transfer-codes"
        case transfer = "POST /v1/devices/{eid}/transfer"
        case approveTransfer = "POST /v1/devices/{eid}/transfer/approve"
        case rejectTransfer = "POST /v1/devices/{eid}/transfer/reject"
        case cancelTransfer = "POST /v1/devices/{eid}/transfer/cancel"
        case submitJob = "POST /v1/jobs"
        case showJob = "GET /v1/jobs/{job}"
        case jobItems = "GET /v1/jobs/{job}/items"
        case publicStatus = "GET /v1/public/devices/{eid}"
        case submitCSR = "POST /v1/devices/{eid}/csr"
        case deviceCertificate = "GET /v1/devices/{eid}/certificate"
        case caCertificate = "GET /.well-known/ca/{aki}.pem"
        case crl = "GET /crl/{aki}.crl"
        case ocsp = "POST /ocsp"
        case estCACerts = "GET /.well-known/est/cacerts"
        case estEnroll = "POST /.well-known/est/simpleenroll?eid={eid}"
        case estReenroll = "POST /.well-known/est/simplereenroll?eid={eid}"

        var method: String { String(rawValue.prefix { $0 != " " }) }
        /// What an allowed call answers.
        var contentType: String {
            switch self {
            case .submitCSR, .deviceCertificate: "application/pem-certificate-chain"
            case .caCertificate: "application/x-pem-file"
            case .crl: "application/pkix-crl"
            case .ocsp: "application/ocsp-response"
            case .estCACerts, .estEnroll, .estReenroll: "application/pkcs7-mime"
            default: "application/json"
            }
        }
        var pathTemplate: String { String(rawValue.drop { $0 != " " }.dropFirst()) }

        var setup: DeviceSetup {
            switch self {
            case .activate, .updateDevice, .createDevice: .registered
            case .deleteDevice: .deactivated
            case .approveTransfer, .rejectTransfer, .cancelTransfer: .transferPending
            case .deviceCertificate, .estReenroll: .certified
            default: .active
            }
        }

        var target: Target {
            switch self {
            case .showASP, .addASPCertificate: .asp
            case .showJob, .jobItems: .job
            case .createASP, .listASPs, .createOwner, .createMNO, .createDevice, .listDevices, .submitJob,
                .publicStatus, .caCertificate, .crl, .ocsp, .estCACerts:
                .none
            default: .device
            }
        }
    }

    // MARK: - the matrix

    /// One endpoint's row: the outcome for every role, one status per column in the order of ``Role``.
    ///
    /// `200`/`201`/`202` allowed · `403` forbidden (the role may never do it) · `404` hidden (another tenant's
    /// object: the answer for a missing one) · `4xx` refused unseen (403 or 404, the answer for a missing object) ·
    /// `401` unauthenticated · `422` invalid input (the request makes no sense for this caller).
    struct Row: Sendable {
        var endpoint: Endpoint
        var outcomes: [Role: Outcome]

        init(_ endpoint: Endpoint, _ statuses: String) {
            self.endpoint = endpoint
            let words = statuses.split(separator: " ")
            outcomes = [:]
            for (role, word) in zip(Role.allCases, words) {
                let outcome: Outcome? =
                    switch word {
                    case "200", "201", "202": .ok(Int(word) ?? 0)
                    case "401": .unauthenticated
                    case "403": .forbidden
                    case "404": .hidden
                    case "4xx": .unseen
                    case "422": .rejected(422, "invalid-input")
                    default: nil
                    }
                outcomes[role] = outcome
            }
            if words.count != Role.allCases.count { outcomes = [:] }
        }
    }

    // In transfers, "other ASP" is the gaining ASP: it holds the owner's code, or its request is pending. The owner's
    // code is the authorisation (EPP authInfo), so a bystander ASP holding it may take the device too; the sponsor
    // asking for its own device is told there is nothing to transfer (422).
    // MNOs may list and read the devices on their network (DESIGN.md: MNOs work "only for devices on its network").
    // The operator may do everything (DESIGN.md "Roles"): read and act on any device's lifecycle; registering a
    // device, issuing a transfer code and requesting a transfer stay the ASP's and the owner's acts.
    // A job is accepted from any ASP or owner; its items are then judged one by one (see `checkJobItems`).
    // The public status is for anyone, but a token that matches nobody is refused (a typo never becomes anonymous).
    // Certificates (issue 3): only the device's MNO submits CSRs and enrols over EST (the operator may too); the ASP
    // and the owner see the device, so they are told 403; the device's readers (ASP, owner, MNO) read its certificate.
    // CA certificates, CRLs, OCSP and EST cacerts are public. EST simpleenroll without a token is 401: it needs the
    // MNO's (renewal over mutual TLS is checked in CertificatePeerTests).
    static let rows: [Row] = [
        //                       operator own  other bystander owner other MNO other  anon bogus
        //                                ASP  ASP   ASP           owner     MNO
        Row(.createASP, "201     403  403   403       403   403   403 403    401  401"),
        Row(.listASPs, "200     403  403   403       403   403   403 403    401  401"),
        Row(.showASP, "200     200  404   404       4xx   4xx   4xx 4xx    401  401"),
        Row(.addASPCertificate, "201     201  404   404       4xx   4xx   4xx 4xx    401  401"),
        Row(.createOwner, "201     403  403   403       403   403   403 403    401  401"),
        Row(.createMNO, "201     403  403   403       403   403   403 403    401  401"),
        Row(.createDevice, "403     201  201   201       403   403   403 403    401  401"),
        Row(.listDevices, "200     200  200   200       200   200   200 200    401  401"),
        Row(.showDevice, "200     200  404   404       200   404   200 404    401  401"),
        Row(.updateDevice, "200     200  404   404       403   4xx   403 4xx    401  401"),
        Row(.deleteDevice, "200     200  404   404       403   4xx   403 4xx    401  401"),
        Row(.activate, "200     200  404   404       403   4xx   403 4xx    401  401"),
        Row(.deactivate, "200     200  404   404       200   404   403 4xx    401  401"),
        Row(.rekey, "200     200  404   404       403   4xx   403 4xx    401  401"),
        Row(.transferCode, "403     403  4xx   4xx       201   404   403 4xx    401  401"),
        Row(.transferCodes, "403     403  4xx   4xx       201   404   403 4xx    401  401"),
        Row(.transfer, "403     422  200   200       403   4xx   403 4xx    401  401"),
        Row(.approveTransfer, "403     200  403   404       403   4xx   403 4xx    401  401"),
        Row(.rejectTransfer, "403     200  403   404       403   4xx   403 4xx    401  401"),
        Row(.cancelTransfer, "403     403  200   404       403   4xx   403 4xx    401  401"),
        Row(.submitJob, "403     202  202   202       202   202   403 403    401  401"),
        Row(.showJob, "200     200  404   404       404   404   404 404    401  401"),
        Row(.jobItems, "200     200  404   404       404   404   404 404    401  401"),
        Row(.publicStatus, "200     200  200   200       200   200   200 200    200  401"),
        Row(.submitCSR, "201     403  404   404       403   4xx   201 404    401  401"),
        Row(.deviceCertificate, "200     200  404   404       200   404   200 404    401  401"),
        Row(.caCertificate, "200     200  200   200       200   200   200 200    200  401"),
        Row(.crl, "200     200  200   200       200   200   200 200    200  401"),
        Row(.ocsp, "200     200  200   200       200   200   200 200    200  401"),
        Row(.estCACerts, "200     200  200   200       200   200   200 200    200  401"),
        Row(.estEnroll, "200     403  404   404       403   4xx   200 404    401  401"),
        Row(.estReenroll, "200     403  404   404       403   4xx   200 404    401  401"),
    ]

    struct Cell: Sendable, CustomTestStringConvertible {
        var endpoint: Endpoint
        var role: Role
        var expected: Outcome
        var testDescription: String { "\(endpoint.rawValue) as \(role.rawValue) → \(expected)" }
    }

    static let cells: [Cell] = rows.flatMap { row in
        Role.allCases.map { Cell(endpoint: row.endpoint, role: $0, expected: row.outcomes[$0] ?? .ok(0)) }
    }

    @Test func everyEndpointHasOneRowAndEveryRoleACell() {
        #expect(Self.rows.map(\.endpoint) == Endpoint.allCases)
        #expect(Self.rows.allSatisfy { $0.outcomes.count == Role.allCases.count })
    }

    @Test(arguments: cells)
    func cell(_ cell: Cell) async throws {
        try await Self.run(cell)
    }
}

// MARK: - running one cell

extension AuthorizationMatrixTests {
    /// The fixture one cell runs against.
    struct World {
        var live: LiveRegistry
        var cast: LiveRegistry.Cast
        var bystander: (id: String, token: String)
        /// The fixture device.
        var eid: String
        /// A job ParkoServ submitted (and that has run).
        var jobID: String
        /// An unused transfer code from the city for the fixture device (active setups only).
        var authCode: String?
        /// The key identifier of the CA that issues device certificates.
        var issuingKeyID: String
        /// An OCSP request for the fixture device's certificate (certified setups), else for a made-up serial.
        var ocspRequest: [UInt8]

        func token(_ role: Role) -> String? {
            switch role {
            case .registryOperator: live.operatorToken
            case .sponsorASP: cast.parkoServ.token
            case .otherASP: cast.carParkServ.token
            case .bystanderASP: bystander.token
            case .owner: cast.city.token
            case .otherOwner: cast.otherOwner.token
            case .mno: cast.telco.token
            case .otherMNO: cast.otherMNO.token
            case .anonymous: nil
            case .bogusToken: "iotreg_asp_" + String(repeating: "a", count: 52)
            }
        }
    }

    /// Identifiers that name nothing in any fixture, of the right shape.
    static let missingEID = LiveRegistry.eid(999)
    static let missingASP = "asp-aaaaaaaaaaaaaaaa"
    static let missingJob = "job-aaaaaaaaaaaaaaaa"
    /// The EID `POST /v1/devices` registers.
    static let newEID = LiveRegistry.eid(2)

    /// A self-signed P-256 certificate, the kind an ASP presents on EPP logins. Made with OpenSSL 3:
    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=epp -keyout /dev/null \`
    /// `    -days 36500`
    static let clientCertificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBcjCCARmgAwIBAgIUCselFkGKoRVuaID5hisEP5ZkpDwwCgYIKoZIzj0EAwIw
        DjEMMAoGA1UEAwwDZXBwMCAXDTI2MTEyMzA5NDAyMVoYDzIxMjYxMDMwMDk0MDIx
        WjAOMQwwCgYDVQQDDANlcHAwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQyP+/c
        ZZb1ndhA3P273xXFSC1hQprMWDcACZxuYnqv4mLhqtMux0qIRIrjBxyldWPJm49j
        ZmW+NZx1qlZ4zFSXo1MwUTAdBgNVHQ4EFgQUFF+9K9GhsUGqDyXnpHU3XV94SbIw
        HwYDVR0jBBgwFoAUFF+9K9GhsUGqDyXnpHU3XV94SbIwDwYDVR0TAQH/BAUwAwEB
        /zAKBggqhkjOPQQDAgNHADBEAiAa7ISX/lMuWOI3brpBT7vkgvzLlDoTIfMfhFHL
        9VUvaQIgKVz62phW2eQpXzqb51YzsyWArBvz2aUXBDe81S6jpSw=
        -----END CERTIFICATE-----

        """

    static func run(_ cell: Cell) async throws {
        let configuration: RegistryConfiguration =
            cell.endpoint.setup == .transferPending ? .init(transferPolicy: .window(seconds: 3600)) : .init()
        try await LiveRegistry.run(configuration: configuration) { live in
            let world = try await makeWorld(live, setup: cell.endpoint.setup)
            let store = live.registry.store
            let watched = try [EID(world.eid), EID(newEID)]
            let headBefore = try await store.auditHead()
            var devicesBefore: [Device?] = []
            for eid in watched { devicesBefore.append(try await store.device(eid: eid)) }

            let reply = try await send(cell.endpoint, as: cell.role, in: world, missingTarget: false)
            let context = "\(cell.testDescription): got \(reply.status) \(reply.text)"

            if case .ok(let status) = cell.expected {
                #expect(reply.status == status, "\(context)")
                #expect(reply.contentType.hasPrefix(cell.endpoint.contentType), "\(context)")
                if reply.status == status {
                    try await checkAllowedEffects(cell, reply: reply, world: world, devicesBefore: devicesBefore)
                }
                return
            }

            // Refused: a precise problem, and nothing changed.
            let (status, codes): (Int, Set<String>) =
                switch cell.expected {
                case .forbidden: (403, ["forbidden"])
                case .hidden: (404, ["not-found"])
                case .unseen: (reply.status == 403 ? 403 : 404, reply.status == 403 ? ["forbidden"] : ["not-found"])
                case .unauthenticated: (401, ["unauthenticated"])
                case .rejected(let status, let code): (status, [code])
                case .ok: (0, [])
                }
            #expect(reply.status == status, "\(context)")
            #expect(reply.contentType == "application/problem+json", "\(context)")
            #expect(reply.json["status"] as? Int == reply.status, "\(context)")
            #expect(codes.contains(reply.json["code"] as? String ?? ""), "\(context)")
            #expect(try await store.auditHead() == headBefore, "\(context)")
            for (eid, before) in zip(watched, devicesBefore) {
                #expect(try await store.device(eid: eid) == before, "\(context): device \(eid) changed")
            }

            // A caller that cannot see the target learns nothing: the answer is the one for a missing target.
            if cell.endpoint.target != .none, !sees(cell.role, cell.endpoint) {
                let missing = try await send(cell.endpoint, as: cell.role, in: world, missingTarget: true)
                #expect(reply.status == missing.status, "\(context) vs missing target \(missing.text)")
                #expect(
                    reply.json["code"] as? String == missing.json["code"] as? String,
                    "\(context) vs missing target \(missing.text)")
                #expect(
                    masked(reply.json["detail"], world) == masked(missing.json["detail"], world),
                    "\(context) vs missing target \(missing.text)")
            }

            // A refused transfer does not burn the owner's code.
            if cell.endpoint == .transfer, let code = world.authCode {
                let retry = try await live.request(
                    "POST", "/v1/devices/\(world.eid)/transfer", token: world.cast.carParkServ.token,
                    json: ["authCode": code])
                #expect(retry.status == 200, "\(context): the code no longer works after the refusal: \(retry.text)")
            }
        }
    }

    /// Whether `role` may see the object the endpoint's path names (and so may be told it exists).
    static func sees(_ role: Role, _ endpoint: Endpoint) -> Bool {
        switch endpoint.target {
        case .none: true
        case .asp, .job: [.registryOperator, .sponsorASP].contains(role)
        case .device:
            [.registryOperator, .sponsorASP, .owner, .mno].contains(role)
                || (endpoint.setup == .transferPending && role == .otherASP)
        }
    }

    /// A problem's detail with every fixture identifier replaced, so a real and a missing target compare equal
    /// exactly when the wording reveals nothing.
    static func masked(_ detail: Any?, _ world: World) -> String {
        var text = detail as? String ?? "<no detail>"
        for id in [world.eid, missingEID, world.cast.parkoServ.id, missingASP, world.jobID, missingJob] {
            text = text.replacingOccurrences(of: id, with: "<id>")
        }
        return text
    }

    /// Sends the endpoint's request with a body that is valid in every way except, possibly, who sends it.
    static func send(_ endpoint: Endpoint, as role: Role, in world: World, missingTarget: Bool) async throws
        -> LiveRegistry.Reply
    {
        let eid = missingTarget ? missingEID : world.eid
        let path = endpoint.pathTemplate
            .replacingOccurrences(of: "{eid}", with: eid)
            .replacingOccurrences(of: "{asp}", with: missingTarget ? missingASP : world.cast.parkoServ.id)
            .replacingOccurrences(of: "{job}", with: missingTarget ? missingJob : world.jobID)
            .replacingOccurrences(of: "{aki}", with: world.issuingKeyID)
        let token = world.token(role)
        let cast = world.cast
        switch endpoint {
        case .createASP:
            return try await world.live.request(
                "POST", path, token: token, json: ["name": "Meterly", "fqdn": "iot.meterly.test", "port": 8883])
        case .createOwner, .createMNO:
            return try await world.live.request("POST", path, token: token, json: ["name": "Newcomer"])
        case .addASPCertificate:
            return try await world.live.request(
                "POST", path, token: token, raw: Data(clientCertificatePEM.utf8), contentType: "application/x-pem-file")
        case .createDevice:
            return try await world.live.request(
                "POST", path, token: token,
                json: ["eid": newEID, "iccid": LiveRegistry.iccid(2), "owner": cast.city.id, "mno": cast.telco.id])
        case .updateDevice:
            return try await world.live.request("PATCH", path, token: token, json: ["model": "SParkometer 2"])
        case .transferCodes:
            return try await world.live.request("POST", path, token: token, json: ["eids": [eid]])
        case .transfer:
            return try await world.live.request("POST", path, token: token, json: ["authCode": world.authCode ?? ""])
        case .submitJob:
            return try await world.live.request(
                "POST", path, token: token,
                json: ["operation": "deactivate", "items": [["eid": world.eid], ["eid": missingEID]]])
        case .submitCSR:
            return try await world.live.request(
                "POST", path, token: token, raw: Data(try CertificateFixture.csrPEM().utf8),
                contentType: "application/pkcs10")
        case .estEnroll, .estReenroll:
            return try await world.live.request(
                "POST", path, token: token, raw: Data(try CertificateFixture.estBody().utf8),
                contentType: "application/pkcs10")
        case .ocsp:
            return try await world.live.request(
                "POST", path, token: token, raw: Data(world.ocspRequest), contentType: "application/ocsp-request")
        default:
            return try await world.live.request(endpoint.method, path, token: token)
        }
    }

    /// Builds the cast, a bystander ASP, the fixture device in the wanted state, a finished job and a transfer code.
    static func makeWorld(_ live: LiveRegistry, setup: DeviceSetup) async throws -> World {
        let cast = try await live.onboardCast()
        let onboarded = try await live.request(
            "POST", "/v1/asps", token: live.operatorToken,
            json: ["name": "Bystander", "fqdn": "iot.bystander.test", "port": 8883])
        guard let bystanderID = onboarded.json["id"] as? String, let bystanderToken = onboarded.json["token"] as? String
        else { throw TestFailure("onboarding the bystander failed: \(onboarded.text)") }
        let eid = try await live.registerDevice(1, cast: cast)

        func expect(_ status: Int, _ method: String, _ path: String, token: String, json: Any? = nil) async throws
            -> LiveRegistry.Reply
        {
            let reply = try await live.request(method, path, token: token, json: json)
            guard reply.status == status else {
                throw TestFailure("setup \(method) \(path) answered \(reply.status) \(reply.text)")
            }
            return reply
        }
        if setup != .registered {
            _ = try await expect(200, "POST", "/v1/devices/\(eid)/activate", token: cast.parkoServ.token)
        }
        let pki = try #require(live.registry.pki)
        let issuer = try pki.issuer
        var ocspRequest = try OCSPRequest.derEncoded(
            for: try CertificateFixture.deviceCertificate(issuer: issuer), issuer: issuer.certificate)
        if setup == .certified {
            let reply = try await live.request(
                "POST", "/v1/devices/\(eid)/csr", token: cast.telco.token,
                raw: Data(try CertificateFixture.csrPEM().utf8),
                contentType: "application/pkcs10")
            guard reply.status == 201 else { throw TestFailure("setup CSR answered \(reply.status) \(reply.text)") }
            ocspRequest = try OCSPRequest.derEncoded(
                for: try Certificate(pemDocument: try #require(PEMDocument.parseMultiple(pemString: reply.text).first)),
                issuer: issuer.certificate)
        }
        if setup == .deactivated {
            _ = try await expect(200, "POST", "/v1/devices/\(eid)/deactivate", token: cast.parkoServ.token)
        }
        var authCode: String?
        if setup == .active || setup == .transferPending {
            let issued = try await expect(201, "POST", "/v1/devices/\(eid)/transfer-code", token: cast.city.token)
            authCode = issued.json["authCode"] as? String
        }
        if setup == .transferPending {
            _ = try await expect(
                202, "POST", "/v1/devices/\(eid)/transfer", token: cast.carParkServ.token,
                json: ["authCode": authCode ?? ""])
            authCode = nil
        }
        // A job that touches nothing: its only item names a device that does not exist.
        let job = try await expect(
            202, "POST", "/v1/jobs", token: cast.parkoServ.token,
            json: ["operation": "activate", "items": [["eid": missingEID]]])
        await live.scheduler.drain()
        return World(
            live: live, cast: cast, bystander: (bystanderID, bystanderToken), eid: eid,
            jobID: job.json["id"] as? String ?? "", authCode: authCode, issuingKeyID: issuer.keyIdentifier.hex,
            ocspRequest: ocspRequest)
    }

    /// What an allowed call must (and must not) have let the caller see or do.
    static func checkAllowedEffects(_ cell: Cell, reply: LiveRegistry.Reply, world: World, devicesBefore: [Device?])
        async throws
    {
        let context = cell.testDescription
        switch cell.endpoint {
        case .listDevices:
            // Everyone may list, but only what they may see.
            let eids = (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["eid"] as? String }
            #expect(eids.contains(world.eid) == sees(cell.role, .showDevice), "\(context): listed \(eids)")
        case .publicStatus:
            #expect(
                Set(reply.json.keys).isSubset(of: ["eid", "state", "asp", "rpid", "certificateSha256", "spkiSha256"]),
                "\(context): \(reply.text)")
        case .submitJob:
            try await checkJobItems(cell, reply: reply, world: world, deviceBefore: devicesBefore[0])
        default:
            break
        }
    }

    /// A bulk job's items are authorised one by one, exactly like the single-device calls: the fixture device is
    /// deactivated only for its ASP and its owner, and for anyone else its item fails exactly like the item naming a
    /// device that does not exist.
    static func checkJobItems(_ cell: Cell, reply: LiveRegistry.Reply, world: World, deviceBefore: Device?)
        async throws
    {
        let context = cell.testDescription
        let jobID = try #require(reply.json["id"] as? String, "\(context): \(reply.text)")
        await world.live.scheduler.drain()
        let items = try await world.live.registry.jobItems(id: jobID, after: -1, limit: 10, by: .registryOperator)
        try #require(items.count == 2, "\(context)")
        #expect(items[1].status == .failed && items[1].errorCode == "notFound", "\(context): \(items[1])")
        let device = try await world.live.registry.store.device(eid: try EID(world.eid))
        if [.sponsorASP, .owner].contains(cell.role) {
            #expect(items[0].status == .succeeded, "\(context): \(items[0])")
            #expect(device?.state == .deactivated, "\(context)")
        } else {
            #expect(items[0].status == .failed, "\(context): \(items[0])")
            #expect(items[0].errorCode == items[1].errorCode, "\(context): \(items[0]) vs \(items[1])")
            #expect(
                masked(items[0].message, world) == masked(items[1].message, world),
                "\(context): \(items[0]) vs \(items[1])")
            #expect(device == deviceBefore, "\(context): another tenant's job changed the device")
        }
    }
}
