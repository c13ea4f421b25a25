// bench-dnssec-sign: signs the test zone `iotregistry.test.` with N fake devices from scratch, then times one
// incremental device change. Run through bench/dnssec-sign.sh, which times ldns-signzone, dnssec-signzone and
// `openssl speed ecdsap256` on the same zone in the same run.
//
//   swift run -c release bench-dnssec-sign [-n DEVICES] [--write-zone FILE] [--write-signed FILE]

import DNSSEC
import DNSWire
import Foundation

let apex = try DNSName("iotregistry.test.")
var devices = 100_000
var zoneOut: String?
var signedOut: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "-n": devices = Int(args.popFirst() ?? "") ?? devices
    case "--write-zone": zoneOut = args.popFirst()
    case "--write-signed": signedOut = args.popFirst()
    default:
        FileHandle.standardError.write(
            Data("usage: bench-dnssec-sign [-n N] [--write-zone F] [--write-signed F]\n".utf8))
        exit(2)
    }
}

func eid(_ i: Int) -> String {
    let s = String(i)
    return "8904903200" + String(repeating: "0", count: 22 - s.count) + s
}

func fakeBytes(_ seed: Int, count: Int) -> [UInt8] {
    var x = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<count).map { _ in
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

func device(_ i: Int) throws -> [ResourceRecord] {
    let tlsa = TLSA(
        usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256, data: fakeBytes(i, count: 32))
    let cert = CERT(
        certificateType: .pkix, keyTag: 0, algorithm: DNSSECAlgorithm(rawValue: 0),
        certificate: [0x30, 0x82, 0x01, 0x00] + fakeBytes(i + 7, count: 256))
    return [
        ResourceRecord(name: try DNSName("\(eid(i))._device", origin: apex), ttl: 300, rdata: .tlsa(tlsa)),
        ResourceRecord(name: try DNSName("\(i + 10).\(eid(i))", origin: apex), ttl: 300, rdata: .cert(cert)),
    ]
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// User + system CPU seconds of this process (comparable with `openssl speed`, which counts CPU time).
func cpuSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

var records = try ZoneFileReader(origin: apex, defaultTTL: 300).read(
    """
    @ 3600 IN SOA ns1 hostmaster 2026112300 3600 900 1209600 300
    @ 3600 IN NS ns1
    ns1 3600 IN A 127.0.0.1
    @ 300 IN TLSA 0 0 0 308201000102030405060708090a0b0c0d0e0f
    *._device 300 IN TLSA 2 0 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971
    """)
records.reserveCapacity(2 * devices + 5)
for i in 0..<devices { records += try device(i) }
if let zoneOut { try ZoneFileWriter.write(records).write(toFile: zoneOut, atomically: true, encoding: .utf8) }

let keys = ZoneKeys.generate()
// The zone is held by one variable only, so incremental changes mutate it in place (no copy-on-write copy).
let cpuBefore = cpuSeconds()
let start = DispatchTime.now().uptimeNanoseconds
var zone = try SignedZone(apex: apex, records: records, keys: keys)
let full = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
let cpu = cpuSeconds() - cpuBefore

var diff: ZoneDiff?
let incremental = try seconds { diff = try zone.apply(ZoneChange(additions: try device(devices + 1))) }
let incremental2 = try seconds { _ = try zone.apply(ZoneChange(additions: try device(devices + 2))) }
let revoke = try seconds {
    _ = try zone.apply(ZoneChange(removedNames: try device(devices / 2).map(\.name)))
}
let signatures = zone.records.lazy.filter { $0.type == .rrsig }.count
if let signedOut { try zone.masterFile().write(toFile: signedOut, atomically: true, encoding: .utf8) }

print("devices=\(devices) records=\(records.count) names=\(zone.nameCount) signatures=\(signatures)")
print(String(format: "ours_full_seconds=%.3f", full))
print(String(format: "ours_signatures_per_second=%.0f", Double(signatures) / full))
print(String(format: "ours_cpu_seconds=%.3f ours_signatures_per_cpu_second=%.0f", cpu, Double(signatures) / cpu))
print(
    String(
        format: "ours_incremental_add_ms=%.3f signatures_in_diff=%d", incremental * 1000,
        diff?.added.filter { $0.type == .rrsig }.count ?? 0))
print(String(format: "ours_incremental_add2_ms=%.3f", incremental2 * 1000))
print(String(format: "ours_incremental_revoke_ms=%.3f", revoke * 1000))
