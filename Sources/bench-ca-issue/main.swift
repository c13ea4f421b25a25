// Benchmark: device certificates issued per second through the registry core with storage — parse the CSR,
// verify its signature, check the device and its MNO, sign the certificate, and commit record + audit entry +
// outbox event (+ the superseded certificate's revocation) in one SQLite transaction on disk (WAL) — with one task
// and with two concurrent tasks, beside `openssl speed ecdsap256` measured by bench/ca-issue.sh in the same run.
// The physical limit for one issuance is one ECDSA P-256 verify (the CSR) plus one sign (the certificate):
// limit = 1 / (1/sign_rate + 1/verify_rate). Rates are given per wall-clock second (what a client sees, bound by
// the disk's flush rate when little is in flight) and per CPU-second of the process (what `openssl speed` reports,
// and what stays comparable when other work shares the machine).
//
// The binary measures one configuration and prints `rate <certs/s>` last; bench/ca-issue.sh pins it to one core and
// to two (taskset) and prints the ratios.
//
// Run: bench/ca-issue.sh [seconds] [devices] [concurrency]
//   (or: swift run -c release bench-ca-issue [seconds] [devices] [concurrency])
import Crypto
import Foundation
import PKI
import RegistryCore
import RegistryStoreSQLite
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#endif

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let deviceCount = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000
/// Issuances in flight at once (MNOs submitting CSRs concurrently); 1 = one request at a time.
let concurrency = max(1, arguments.count > 3 ? Int(arguments[3]) ?? 64 : 64)

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

let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "bench-ca-issue-\(ProcessInfo.processInfo.processIdentifier)")
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
let asp = try await registry.createASP(
    NewASP(name: "Bench ASP", fqdn: "iot.bench.test", port: 8883), by: .registryOperator)
let owner = try await registry.createTenant(kind: .owner, name: "Bench City", by: .registryOperator)
let mno = try await registry.createTenant(kind: .mno, name: "Bench Telco", by: .registryOperator)

// Devices registered and activated up front, concurrently (not measured): each issuance needs an active device.
let eids: [String] = try (0..<deviceCount).map {
    try EID.withCheckDigits(body: String(format: "8904903200%020d", $0 + 1)).digits
}
try await withThrowingTaskGroup(of: Void.self) { group in
    for lane in 0..<64 {
        group.addTask {
            for n in stride(from: lane, to: deviceCount, by: 64) {
                let iccid = try ICCID.withCheckDigit(body: String(format: "898822800%010d", n + 1)).digits
                _ = try await registry.registerDevice(
                    NewDevice(eid: eids[n], iccid: iccid, owner: owner.id, mno: mno.id), by: .asp(asp.id))
                _ = try await registry.apply(.activate, to: eids[n], by: .asp(asp.id))
            }
        }
    }
    try await group.waitForAll()
}
let csrs = try makeCSRs(256)
let principal = Principal.mno(mno.id)

/// Issues until the deadline over the devices `lane, lane + lanes, …` (the first pass issues, later passes renew:
/// revoke the previous certificate and issue a new one); returns how many.
@Sendable func issueLoop(until deadline: ContinuousClock.Instant, lane: Int, lanes: Int) async throws -> Int {
    var count = 0
    var index = lane
    while ContinuousClock.now < deadline {
        _ = try await registry.submitCSR(
            eids[index % eids.count], csr: csrs[(lane + count) % csrs.count], by: principal)
        count += 1
        index += lanes
    }
    return count
}

/// CPU seconds (user + system) used by the whole process so far: `openssl speed` divides by CPU time too, so the
/// ratio stays meaningful on a machine shared with other work.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let cpuStart = processCPUSeconds()
let start = ContinuousClock.now
let deadline = start + .milliseconds(Int(seconds * 1000))
let total = try await withThrowingTaskGroup(of: Int.self) { group in
    for lane in 0..<concurrency {
        group.addTask { try await issueLoop(until: deadline, lane: lane, lanes: concurrency) }
    }
    var sum = 0
    for try await count in group { sum += count }
    return sum
}
let elapsed = ContinuousClock.now - start
let rate = Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
let cpuRate = Double(total) / max(processCPUSeconds() - cpuStart, 1e-9)
let issued = try await store.outboxEvents(after: 0, limit: Int.max).filter { $0.kind == .certificateIssued }.count
precondition(issued == total, "every acknowledged issuance is in the outbox")
print(
    "bench-ca-issue: CSR verify + sign + store (SQLite WAL on disk, synchronous=FULL), \(Int(seconds)) s, "
        + "\(deviceCount) active devices, \(concurrency) in flight: \(total) certificates")
print(String(format: "rate %.0f %.0f", rate, cpuRate))
