// Benchmark: device certificates issued per second through the registry core with storage — parse the CSR,
// verify its signature, check the device and its MNO, sign the certificate, and commit record + audit entry +
// outbox event (+ the superseded certificate's revocation) in one SQLite transaction on disk (WAL) — with one task
// and with two concurrent tasks, beside `openssl speed ecdsap256` measured by bench/ca-issue.sh in the same run.
// The physical limit for one issuance is one ECDSA P-256 verify (the CSR) plus one sign (the certificate):
// limit = 1 / (1/sign_rate + 1/verify_rate). Rates here are wall clock, storage included.
//
// Run: bench/ca-issue.sh [seconds] [devices]   (or: swift run -c release bench-ca-issue [seconds] [devices])
import Crypto
import Foundation
import PKI
import RegistryCore
import RegistryStoreSQLite
import SwiftASN1
import X509

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let deviceCount = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000

func makeCSRs(_ count: Int) throws -> [[UInt8]] {
    try (0..<count).map { _ in
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("device") },
            privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()), attributes: .init())
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return serializer.serializedBytes
    }
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-ca-issue-\(ProcessInfo.processInfo.processIdentifier)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let store = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite").path)
try await store.migrate()
let hierarchy = try CAHierarchy.create(
    keyStore: InMemoryKeyStore(), rootSubject: try DistinguishedName(parsing: "CN=Bench Root"),
    issuing: ["devices": try DistinguishedName(parsing: "CN=Bench Issuing")])
let pki = try RegistryPKI(
    hierarchy: hierarchy, issuingDomain: "devices", zone: "iotregistry.test.",
    urls: try PublicationURLs(base: "http://127.0.0.1:8080"))
let registry = Registry(store: store, pki: pki)
_ = try await registry.bootstrapOperator()
let asp = try await registry.createASP(NewASP(name: "Bench ASP", fqdn: "iot.bench.test", port: 8883), by: .registryOperator)
let owner = try await registry.createTenant(kind: .owner, name: "Bench City", by: .registryOperator)
let mno = try await registry.createTenant(kind: .mno, name: "Bench Telco", by: .registryOperator)

// Devices registered and activated up front (not measured): each issuance needs an active device of the MNO.
var eids: [String] = []
for n in 0..<deviceCount {
    let eid = try EID.withCheckDigits(body: String(format: "8904903200%020d", n + 1)).digits
    let iccid = try ICCID.withCheckDigit(body: String(format: "898822800%010d", n + 1)).digits
    _ = try await registry.registerDevice(
        NewDevice(eid: eid, iccid: iccid, owner: owner.id, mno: mno.id), by: .asp(asp.id))
    _ = try await registry.apply(.activate, to: eid, by: .asp(asp.id))
    eids.append(eid)
}
let csrs = try makeCSRs(256)
let principal = Principal.mno(mno.id)

/// Issues for `duration` seconds over the devices `offset, offset + stride, …` (the first pass issues, later
/// passes renew: revoke the previous certificate and issue a new one); returns how many.
@Sendable func issueLoop(duration: Double, offset: Int, stride: Int) async throws -> Int {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int(duration * 1000))
    var count = 0
    var index = offset
    while clock.now < deadline {
        _ = try await registry.submitCSR(eids[index % eids.count], csr: csrs[count % csrs.count], by: principal)
        count += 1
        index += stride
    }
    return count
}

func measure(tasks: Int) async throws -> Double {
    let start = ContinuousClock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for t in 0..<tasks { group.addTask { try await issueLoop(duration: seconds, offset: t, stride: tasks) } }
        return try await group.reduce(0, +)
    }
    let elapsed = ContinuousClock.now - start
    return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

/// `--openssl TASKS SIGN_PER_S VERIFY_PER_S`, passed by bench/ca-issue.sh.
func opensslFigures() -> [Int: (sign: Double, verify: Double)] {
    var figures: [Int: (sign: Double, verify: Double)] = [:]
    var index = 0
    while index < arguments.count {
        if arguments[index] == "--openssl", index + 3 < arguments.count, let tasks = Int(arguments[index + 1]),
            let sign = Double(arguments[index + 2]), let verify = Double(arguments[index + 3])
        {
            figures[tasks] = (sign, verify)
            index += 4
        } else {
            index += 1
        }
    }
    return figures
}

let one = try await measure(tasks: 1)
let two = try await measure(tasks: 2)
let issued = try await store.outboxEvents(after: 0, limit: Int.max).filter { $0.kind == .certificateIssued }.count
print(
    "bench-ca-issue: CSR verify + sign + store (SQLite WAL on disk, one transaction each), \(Int(seconds)) s each, "
        + "\(deviceCount) active devices, \(issued) certificates issued in all")
print(String(format: "  iotreg   1 task : %7.0f certs/s (wall clock, storage included)", one))
print(String(format: "  iotreg   2 tasks: %7.0f certs/s (wall clock, storage included)", two))
let figures = opensslFigures()
for (multi, ours) in [(1, one), (2, two)] {
    guard let speed = figures[multi] else {
        print("  openssl speed (x\(multi)) not given; run bench/ca-issue.sh for the side-by-side ratio")
        continue
    }
    let limit = 1 / (1 / speed.sign + 1 / speed.verify)
    print(
        String(
            format: "  openssl speed ecdsap256 x%d: sign %.0f/s verify %.0f/s -> limit %.0f/s; iotreg/limit = %.2f",
            multi, speed.sign, speed.verify, limit, ours / limit))
}
