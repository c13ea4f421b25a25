// Benchmark: device certificates issued per second (parse CSR + verify its signature + build + sign + DER),
// on one core and on two concurrent tasks, printed beside `openssl speed -seconds 3 ecdsap256` measured in the
// same run. The physical limit for one issuance is one ECDSA P-256 verify (the CSR) plus one sign (the
// certificate): limit = 1 / (1/sign_rate + 1/verify_rate).
//
// Run: bench/pki-issue.sh   (or: swift run -c release bench-pki-issue [seconds])
import Crypto
import Foundation
import PKI
import SwiftASN1
import X509

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

/// Issues certificates for `duration` seconds; returns how many.
@Sendable func issueLoop(duration: Double, offset: Int) throws -> Int {
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
    return count
}

func measure(tasks: Int) async throws -> Double {
    let start = ContinuousClock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for t in 0..<tasks { group.addTask { try issueLoop(duration: seconds, offset: t * 97) } }
        return try await group.reduce(0, +)
    }
    let elapsed = ContinuousClock.now - start
    let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(total) / secs
}

/// Runs `openssl speed` and returns (sign/s, verify/s) for nistp256.
func opensslSpeed(multi: Int) -> (sign: Double, verify: Double)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    var arguments = ["openssl", "speed", "-seconds", "\(Int(seconds))"]
    if multi > 1 { arguments += ["-multi", "\(multi)"] }
    process.arguments = arguments + ["ecdsap256"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    // Single: " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  43210.0  13579.0"
    // Multi:  "ecdsa  256 bits  0.000011s 0.000036s 87654.3 27777.7"
    for line in text.split(separator: "\n") where line.contains("256") && line.contains("ecdsa") {
        let numbers = line.split(separator: " ").compactMap { Double($0) }
        if numbers.count >= 3 {
            return (numbers[numbers.count - 2], numbers[numbers.count - 1])
        }
    }
    return nil
}

let one = try await measure(tasks: 1)
let two = try await measure(tasks: 2)
print("bench-pki-issue: parse CSR + verify + build + sign device certificate (ECDSA P-256), \(Int(seconds)) s each")
print(String(format: "  iotreg   1 task : %9.0f certs/s", one))
print(String(format: "  iotreg   2 tasks: %9.0f certs/s", two))
for (multi, ours) in [(1, one), (2, two)] {
    guard let speed = opensslSpeed(multi: multi) else {
        print("  openssl speed (multi \(multi)) unavailable; install openssl to get the ratio")
        continue
    }
    let limit = 1 / (1 / speed.sign + 1 / speed.verify)
    print(
        String(
            format: "  openssl speed ecdsap256 x%d: sign %.0f/s verify %.0f/s -> limit %.0f issuances/s; iotreg/limit = %.2f",
            multi, speed.sign, speed.verify, limit, ours / limit
        )
    )
}
