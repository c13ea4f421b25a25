import EPP
import Foundation
import PeerTesting
import RegistryCore
import RegistryStoreSQLite
import Synchronization
import Testing

/// Deterministic identifiers with valid check digits.
enum Fixture {
    static func eid(_ n: Int) -> String {
        (try? EID.withCheckDigits(body: "8904903200" + String(format: "%020d", n)).digits) ?? ""
    }

    static func iccid(_ n: Int) -> String {
        (try? ICCID.withCheckDigit(body: "898812345678" + String(format: "%07d", n)).digits) ?? ""
    }
}

/// A registry over in-memory SQLite with two ASPs (each with a registered client certificate), an owner and an MNO,
/// and an EPP service in front of it. Every response a test receives is kept for one schema check at the end.
struct EPPWorld {
    let store: SQLiteRegistryStore
    let registry: Registry
    let service: EPPService
    let aspA: OnboardingResult
    let aspB: OnboardingResult
    let owner: OnboardingResult
    let mno: OnboardingResult
    let responses = ResponseLog()

    /// Stand-in certificates: DER-looking bytes (first octet 0x30); the fingerprint is SHA-256 of them.
    static let certificateA = "0-test-client-certificate-of-asp-A-000000"
    static let certificateB = "0-test-client-certificate-of-asp-B-000000"
    static func pem(_ der: String) -> String {
        "-----BEGIN CERTIFICATE-----\n\(Data(der.utf8).base64EncodedString())\n-----END CERTIFICATE-----\n"
    }
    static func fingerprint(_ der: String) -> String { APIToken.hash(der) }

    static func make(configuration: RegistryConfiguration = .init(), pki: RegistryPKI? = nil) async throws -> EPPWorld {
        let store = try SQLiteRegistryStore(path: ":memory:")
        try await store.migrate()
        let registry = Registry(store: store, configuration: configuration, pki: pki)
        _ = try await registry.bootstrapOperator()
        let op = Principal.registryOperator
        let aspA = try await registry.createASP(NewASP(name: "ParkoServ", fqdn: "iot.parkoserv.ca", port: 8883), by: op)
        let aspB = try await registry.createASP(
            NewASP(name: "CarParkServ", fqdn: "iot.carparkserv.ca", port: 8883), by: op)
        let owner = try await registry.createTenant(kind: .owner, name: "City of Ottawa", by: op)
        let mno = try await registry.createTenant(kind: .mno, name: "Rogers", by: op)
        _ = try await registry.addClientCertificate(aspID: aspA.id, pem: pem(certificateA), by: .asp(aspA.id))
        _ = try await registry.addClientCertificate(aspID: aspB.id, pem: pem(certificateB), by: .asp(aspB.id))
        return EPPWorld(
            store: store, registry: registry, service: EPPService(registry: registry), aspA: aspA, aspB: aspB,
            owner: owner, mno: mno)
    }

    /// A session presenting `certificate` (nil: no client certificate).
    func session(certificate: String? = certificateA) -> EPPSession {
        service.makeSession(clientCertificateSHA256: certificate.map(Self.fingerprint))
    }

    /// A session already logged in as `asp`.
    func loggedIn(_ asp: OnboardingResult? = nil) async throws -> EPPSession {
        let asp = asp ?? aspA
        let session = session(certificate: asp.id == aspB.id ? Self.certificateB : Self.certificateA)
        let reply = try await send(session, Frames.login(asp.id, asp.token.secret))
        #expect(reply.code == 1000, "login: \(reply.text)")
        return session
    }

    /// Sends one frame and parses the answer.
    @discardableResult
    func send(_ session: EPPSession, _ frame: String) async throws -> Answer {
        let reply = await session.handle(Array(frame.utf8))
        responses.append(reply.bytes)
        return try Answer(reply.bytes, closes: reply.closesSession)
    }

    /// Validates every response so far against epp-1.0.xsd + iotdevice-1.0.xsd with xmllint.
    func validateResponses() throws {
        try SchemaCheck.validate(responses.all)
    }

    func registerDevice(_ n: Int, by asp: OnboardingResult? = nil) async throws -> String {
        let eid = Fixture.eid(n)
        _ = try await registry.registerDevice(
            NewDevice(eid: eid, iccid: Fixture.iccid(n), owner: owner.id, mno: mno.id, model: "SParkometer"),
            by: .asp((asp ?? aspA).id))
        return eid
    }

    /// Everything a refused command must leave untouched.
    struct Snapshot: Equatable {
        var devices: [EID: Device]
        var auditSequence: Int64
        var outboxCount: Int
    }

    func snapshot(_ eids: [String]) async throws -> Snapshot {
        let parsed = eids.compactMap { try? EID($0) }
        return Snapshot(
            devices: try await store.devices(eids: parsed), auditSequence: try await store.auditHead().sequence,
            outboxCount: try await store.outboxEvents(after: 0, limit: 1_000_000).count)
    }
}

/// Every response a test received, for the schema check.
final class ResponseLog: Sendable {
    private let items = Mutex<[[UInt8]]>([])
    func append(_ bytes: [UInt8]) { items.withLock { $0.append(bytes) } }
    var all: [[UInt8]] { items.withLock { $0 } }
}

/// A parsed response: result code, reason, resData fields (by local name), and the msgQ.
struct Answer {
    var code: Int
    var text: String
    var root: XML.Element
    var closes: Bool

    init(_ bytes: [UInt8], closes: Bool) throws {
        self.text = String(decoding: bytes, as: UTF8.self)
        self.root = try XML.parse(bytes)
        self.closes = closes
        let result = root.child("response", in: EPPNamespace.epp)?.child("result", in: EPPNamespace.epp)
        self.code = result?.attribute("code").flatMap { Int($0) } ?? 0
    }

    /// The first element named `name` anywhere in the response (depth-first).
    func first(_ name: String) -> XML.Element? {
        func search(_ element: XML.Element) -> XML.Element? {
            if element.name == name { return element }
            for child in element.children { if let found = search(child) { return found } }
            return nil
        }
        return search(root)
    }

    func value(_ name: String) -> String? { first(name)?.trimmedText }

    func all(_ name: String) -> [XML.Element] {
        var found: [XML.Element] = []
        func search(_ element: XML.Element) {
            if element.name == name { found.append(element) }
            element.children.forEach(search)
        }
        search(root)
        return found
    }
}

/// xmllint against the schemas kept in Sources/EPP/Schemas.
enum SchemaCheck {
    static var schema: String {
        PeerTool.packageRoot().appendingPathComponent("Sources/EPP/Schemas/iotreg-epp.xsd").path
    }

    static func validate(_ documents: [[UInt8]]) throws {
        guard !documents.isEmpty else { return }
        let directory = try PeerTool.temporaryDirectory("epp-xsd")
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, document) in documents.enumerated() {
            let url = directory.appendingPathComponent("r\(index).xml")
            try Data(document).write(to: url)
            paths.append(url.path)
        }
        for chunk in stride(from: 0, to: paths.count, by: 200) {
            let slice = Array(paths[chunk..<min(chunk + 200, paths.count)])
            let result = try PeerTool.run("xmllint", ["--noout", "--schema", schema] + slice)
            #expect(result.status == 0, "xmllint: \(result.stderr.prefix(3000))")
        }
    }
}

/// Command frames as a client writes them.
enum Frames {
    static let dev = #"xmlns:iotdev="urn:ietf:params:xml:ns:iotdevice-1.0""#

    static func command(_ body: String, clTRID: String? = "ABC-12345") -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="no"?>
        <epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command>\(body)\(clTRID.map { "<clTRID>\($0)</clTRID>" } ?? "")</command></epp>
        """
    }

    /// The device mapping's `list` protocol extension; `body` goes inside `<iotdev:list>`.
    static func list(_ body: String = "", clTRID: String = "LIST-1") -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><extension>\
        <iotdev:command \(dev)><iotdev:list>\(body)</iotdev:list><iotdev:clTRID>\(clTRID)</iotdev:clTRID>\
        </iotdev:command></extension></epp>
        """
    }

    static let hello =
        #"<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>"#

    static func login(_ clID: String, _ pw: String, objURI: String = EPPNamespace.iotDevice) -> String {
        command(
            "<login><clID>\(clID)</clID><pw>\(pw)</pw><options><version>1.0</version><lang>en</lang></options>"
                + "<svcs><objURI>\(objURI)</objURI></svcs></login>")
    }

    static let logout = command("<logout/>")
    static let pollRequest = command(#"<poll op="req"/>"#)
    static func pollAck(_ id: String) -> String { command(#"<poll op="ack" msgID="\#(id)"/>"#) }

    static func check(_ eids: [String]) -> String {
        command(
            "<check><iotdev:check \(dev)>" + eids.map { "<iotdev:eid>\($0)</iotdev:eid>" }.joined()
                + "</iotdev:check></check>")
    }

    static func info(_ eid: String, authInfo: String? = nil) -> String {
        let auth = authInfo.map { "<iotdev:authInfo><iotdev:pw>\($0)</iotdev:pw></iotdev:authInfo>" } ?? ""
        return command("<info><iotdev:info \(dev)><iotdev:eid>\(eid)</iotdev:eid>\(auth)</iotdev:info></info>")
    }

    static func create(_ eid: String, iccid: String, owner: String, mno: String) -> String {
        command(
            "<create><iotdev:create \(dev)><iotdev:eid>\(eid)</iotdev:eid><iotdev:iccid>\(iccid)</iotdev:iccid>"
                + "<iotdev:owner>\(owner)</iotdev:owner><iotdev:mno>\(mno)</iotdev:mno>"
                + "<iotdev:model>SParkometer</iotdev:model><iotdev:fwVersion>1.1</iotdev:fwVersion>"
                + "</iotdev:create></create>")
    }

    static func update(_ eid: String, add: String? = nil, rem: String? = nil, chg: String? = nil) -> String {
        var body = "<iotdev:eid>\(eid)</iotdev:eid>"
        if let add { body += #"<iotdev:add><iotdev:status s="\#(add)"/></iotdev:add>"# }
        if let rem { body += #"<iotdev:rem><iotdev:status s="\#(rem)"/></iotdev:rem>"# }
        if let chg { body += "<iotdev:chg>\(chg)</iotdev:chg>" }
        return command("<update><iotdev:update \(dev)>\(body)</iotdev:update></update>")
    }

    static func delete(_ eid: String) -> String {
        command("<delete><iotdev:delete \(dev)><iotdev:eid>\(eid)</iotdev:eid></iotdev:delete></delete>")
    }

    static func transfer(_ op: String, _ eid: String, authInfo: String? = nil) -> String {
        let auth = authInfo.map { "<iotdev:authInfo><iotdev:pw>\($0)</iotdev:pw></iotdev:authInfo>" } ?? ""
        return command(
            #"<transfer op="\#(op)"><iotdev:transfer \#(dev)><iotdev:eid>\#(eid)</iotdev:eid>\#(auth)</iotdev:transfer></transfer>"#
        )
    }
}
