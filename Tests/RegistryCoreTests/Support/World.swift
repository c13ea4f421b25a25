import Foundation
import RegistryCore
import RegistryStoreSQLite
import Synchronization
import Testing

/// A clock tests move by hand, so windows and expiries are exercised without waiting.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    var function: @Sendable () -> Date { { [self] in self.now } }
}

/// Deterministic identifiers: EIDs and ICCIDs with correct check digits.
enum Fixture {
    /// The n-th test EID (`89049032` GSMA-style prefix, then the number, then MOD 97-10 check digits).
    static func eid(_ n: Int, prefix: String = "8904903200") -> String {
        let body = prefix + String(format: "%020d", n)
        return try! EID.withCheckDigits(body: body).digits
    }

    static func iccid(_ n: Int) -> String {
        try! ICCID.withCheckDigit(body: "898812345678" + String(format: "%07d", n)).digits
    }
}

/// A registry over a real SQLite store with one operator, two ASPs, two owners and two MNOs.
struct World {
    let store: any RegistryStore
    let registry: Registry
    let clock: TestClock
    let operatorToken: APIToken
    let aspA: OnboardingResult
    let aspB: OnboardingResult
    let ownerA: OnboardingResult
    let ownerB: OnboardingResult
    let mnoA: OnboardingResult
    let mnoB: OnboardingResult

    var asp: Principal { .asp(aspA.id) }
    var otherASP: Principal { .asp(aspB.id) }
    var owner: Principal { .owner(ownerA.id) }
    var otherOwner: Principal { .owner(ownerB.id) }
    var mno: Principal { .mno(mnoA.id) }
    var otherMNO: Principal { .mno(mnoB.id) }

    static func make(
        path: String = ":memory:", configuration: RegistryConfiguration = .init(), clock: TestClock = TestClock(),
        pki: RegistryPKI? = nil
    ) async throws -> World {
        let store = try SQLiteRegistryStore(path: path)
        try await store.migrate()
        let registry = Registry(store: store, configuration: configuration, pki: pki, clock: clock.function)
        let operatorToken = try await registry.bootstrapOperator()
        let op = Principal.registryOperator
        let aspA = try await registry.createASP(NewASP(name: "ParkoServ", fqdn: "iot.parkoserv.ca", port: 8883), by: op)
        let aspB = try await registry.createASP(
            NewASP(name: "CarParkServ", fqdn: "iot.carparkserv.ca", port: 8883), by: op)
        let ownerA = try await registry.createTenant(kind: .owner, name: "City of Ottawa", by: op)
        let ownerB = try await registry.createTenant(kind: .owner, name: "City of Gatineau", by: op)
        let mnoA = try await registry.createTenant(kind: .mno, name: "Rogers", by: op)
        let mnoB = try await registry.createTenant(kind: .mno, name: "Bell", by: op)
        return World(
            store: store, registry: registry, clock: clock, operatorToken: operatorToken, aspA: aspA, aspB: aspB,
            ownerA: ownerA, ownerB: ownerB, mnoA: mnoA, mnoB: mnoB)
    }

    /// A registration of device `n` for owner A on MNO A.
    func newDevice(_ n: Int, owner: String? = nil, mno: String? = nil) -> NewDevice {
        NewDevice(
            eid: Fixture.eid(n), iccid: Fixture.iccid(n), owner: owner ?? ownerA.id, mno: mno ?? mnoA.id,
            model: "SParkometer", serial: "S\(n)", firmwareVersion: "1.1")
    }

    /// Registers device `n` under ASP A and moves it to `state`.
    @discardableResult
    func device(_ n: Int, in state: DeviceState = .registered) async throws -> Device {
        var device = try await registry.registerDevice(newDevice(n), by: asp)
        let eid = device.eid.digits
        switch state {
        case .registered: break
        case .active: device = try await registry.apply(.activate, to: eid, by: asp)
        case .deactivated:
            try await registry.apply(.activate, to: eid, by: asp)
            device = try await registry.apply(.deactivate, to: eid, by: asp)
        case .deleted:
            try await registry.apply(.activate, to: eid, by: asp)
            try await registry.apply(.deactivate, to: eid, by: asp)
            device = try await registry.apply(.delete, to: eid, by: asp)
        case .transferPending:
            Issue.record("use a window-policy world and requestTransfer for transfer-pending")
        }
        return device
    }

    /// Everything a refused request must leave untouched.
    struct Snapshot: Equatable {
        var devices: [EID: Device]
        var profiles: [EID: [Profile]]
        var auditSequence: Int64
        var auditHash: String
        var outbox: [OutboxEvent]
        var certificates: [EID: CertificateRecord]
    }

    func snapshot(_ eids: [String]) async throws -> Snapshot {
        let parsed = try eids.map(EID.init)
        let devices = try await store.devices(eids: parsed)
        var profiles: [EID: [Profile]] = [:]
        for eid in parsed { profiles[eid] = try await store.profiles(eid: eid) }
        let head = try await store.auditHead()
        let outbox = try await store.outboxEvents(after: 0, limit: 1_000_000)
        var certificates: [EID: CertificateRecord] = [:]
        for eid in parsed { certificates[eid] = try await store.currentCertificate(eid: eid) }
        return Snapshot(
            devices: devices, profiles: profiles, auditSequence: head.sequence, auditHash: head.hash, outbox: outbox,
            certificates: certificates)
    }

    func outbox() async throws -> [OutboxEvent] { try await store.outboxEvents(after: 0, limit: 1_000_000) }

    func audit() async throws -> [AuditEntry] { try await store.auditEntries(after: 0, limit: 1_000_000) }
}

/// Runs `body`, expecting a ``RegistryError`` with `code`, and returns it for further checks.
@discardableResult
func expectRefusal<T>(
    _ code: RegistryError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> RegistryError? {
    do {
        _ = try await body()
        Issue.record("expected refusal \(code), but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as RegistryError {
        #expect(error.code == code, "expected \(code), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected RegistryError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
