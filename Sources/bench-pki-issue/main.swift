// Benchmark: device certificates issued per second (parse CSR + verify its signature + build + sign + DER),
// on one core and on two concurrent tasks, printed beside `openssl speed -seconds 3 ecdsap256` measured in the
// same run. Both sides are counted per CPU-second (openssl speed's default divisor is CPU user time), so the
// ratio holds on a shared machine. `openssl speed -multi 2` children report count/elapsed wall time, so the two-task
// line compares wall-clock rates. The physical limit for one issuance is one ECDSA P-256 verify (the CSR) plus one sign (the
// certificate): limit = 1 / (1/sign_rate + 1/verify_rate).
//
// Run: bench/pki-issue.sh   (or: swift run -c release bench-pki-issue [seconds])
import Crypto
import Foundation
import PKI
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#endif

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 3 : 3

func makeCSRs(_ count: Int) throws -> [[UInt8]] {
    try (0..<count).map { _ in
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("device") }, privateKey: key,
            attributes: CertificateSigningRequest.Attributes()
        )
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return serializer.serializedBytes
    }
}

let hierarchy = try CAHierarchy.create(
    keyStore: InMemoryKeyStore(), rootSubject: try DistinguishedName(parsing: "CN=Bench Root"),
    issuing: ["bench": try DistinguishedName(parsing: "CN=Bench Issuing")]
)
guard let issuing = hierarchy.issuing["bench"] else { fatalError("no issuing CA") }
let urls = try PublicationURLs(base: "http://127.0.0.1:8080")
let csrs = try makeCSRs(256)
let eid = "89049032123451234512345678901235"

/// CPU seconds used by the calling thread (the loop below never suspends, so it stays on one thread).
@Sendable func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Issues certificates for `duration` seconds; returns how many and the thread's CPU seconds.
@Sendable func issueLoop(duration: Double, offset: Int) throws -> (count: Int, cpu: Double) {
    let cpuStart = threadCPUSeconds()
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int(duration * 1000))
    var count = 0
    var bytes = 0
    while clock.now < deadline {
        for _ in 0..<16 {
            let csr = try ValidatedCSR(der: csrs[(count + offset) % csrs.count])
            let certificate = try DeviceCertificateProfile(
                publicKey: csr.publicKey, rpid: UInt64(count), eid: eid, zone: "iotregistry.test.", urls: urls
            ).issue(by: issuing)
            bytes &+= certificate.derBytes.count
            count += 1
        }
    }
    precondition(bytes > 0)
    return (count, threadCPUSeconds() - cpuStart)
}

/// (wall-clock rate, CPU-time rate): the CPU rate sums count/cpu over tasks, as `openssl speed -multi` sums its
/// children's rates, and it is what stays comparable when other work shares the machine.
func measure(tasks: Int) async throws -> (wall: Double, cpu: Double) {
    let start = ContinuousClock.now
    let results = try await withThrowingTaskGroup(of: (count: Int, cpu: Double).self) { group in
        for t in 0..<tasks { group.addTask { try issueLoop(duration: seconds, offset: t * 97) } }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    let elapsed = ContinuousClock.now - start
    let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let total = results.reduce(0) { $0 + $1.count }
    return (Double(total) / secs, results.reduce(0) { $0 + Double($1.count) / max($1.cpu, 1e-9) })
}

/// `openssl speed` figures passed by bench/pki-issue.sh as `--openssl TASKS SIGN_PER_S VERIFY_PER_S`.
/// (The script runs openssl itself: a child of this process would inherit blocked SIGALRM and never stop.)
func opensslFigures() -> [Int: (sign: Double, verify: Double)] {
    var figures: [Int: (sign: Double, verify: Double)] = [:]
    let args = CommandLine.arguments
    var index = 0
    while index < args.count {
        if args[index] == "--openssl", index + 3 < args.count, let tasks = Int(args[index + 1]),
            let sign = Double(args[index + 2]), let verify = Double(args[index + 3])
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
print("bench-pki-issue: parse CSR + verify + build + sign device certificate (ECDSA P-256), \(Int(seconds)) s each")
print(String(format: "  iotreg   1 task : %9.0f certs/s per CPU-second (%6.0f certs/s wall clock)", one.cpu, one.wall))
print(String(format: "  iotreg   2 tasks: %9.0f certs/s per CPU-second (%6.0f certs/s wall clock)", two.cpu, two.wall))
let figures = opensslFigures()
for (multi, ours) in [(1, one), (2, two)] {
    guard let speed = figures[multi] else {
        print("  openssl speed (x\(multi)) not given; run bench/pki-issue.sh for the side-by-side ratio")
        continue
    }
    let limit = 1 / (1 / speed.sign + 1 / speed.verify)
    print(
        String(
            format:
                "  openssl speed ecdsap256 x%d: sign %.0f/s verify %.0f/s -> limit %.0f issuances/s; iotreg/limit = %.2f",
            multi, speed.sign, speed.verify, limit, (multi == 1 ? ours.cpu : ours.wall) / limit
        )
            + (multi == 1
                ? " (per CPU-second, as openssl speed counts)" : " (wall clock, as openssl speed -multi counts)")
    )
}
