// bench-dns-serve: signs a zone of N device names, serves it with DNSServer on a port, and writes what the
// benchmark script needs: the signed zone as master-file text (for NSD and Knot), dnsperf query files, the RSS
// figures and the time of one change published + NOTIFY acknowledged.
//
//   bench-dns-serve --port 5400 --devices 100000 --dir /tmp/x [--notify-port 5401] [--seconds 120]
import DNSSEC
import DNSServer
import DNSWire
import Foundation
import NIOCore
import NIOPosix

/// glibc's malloc_trim (not in the Glibc module map): returns freed heap pages to the kernel.
@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32

/// A line to stdout at once (the script waits for it).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func option(_ name: String, _ fallback: String) -> String {
    let a = CommandLine.arguments
    guard let i = a.firstIndex(of: name), i + 1 < a.count else { return fallback }
    return a[i + 1]
}

func rssKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func eid(_ i: Int) -> String {
    let s = String(i)
    return "8904903200" + String(repeating: "0", count: 22 - s.count) + s
}

func bytes(_ seed: Int, _ n: Int) -> [UInt8] {
    var x = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<n).map { _ in
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

let port = Int(option("--port", "5400")) ?? 5400
let devices = Int(option("--devices", "100000")) ?? 100000
let dir = option("--dir", "/tmp")
let notifyPort = Int(option("--notify-port", "0")) ?? 0
let seconds = Int(option("--seconds", "600")) ?? 600
let apex = try DNSName("iotregistry.test.")

func device(_ i: Int, rpid: Int) throws -> [ResourceRecord] {
    let tlsa = TLSA(usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256, data: bytes(i, 32))
    let cert = CERT(
        certificateType: .pkix, keyTag: 0, algorithm: DNSSECAlgorithm(rawValue: 0),
        certificate: [0x30, 0x82, 0x01, 0x2C] + bytes(i + 7, 300))
    return [
        ResourceRecord(name: try DNSName("\(eid(i))._device", origin: apex), ttl: 300, rdata: .tlsa(tlsa)),
        ResourceRecord(name: try DNSName("\(rpid).\(eid(i))", origin: apex), ttl: 300, rdata: .cert(cert)),
    ]
}

let rssBefore = rssKiB()
var records = try ZoneFileReader(origin: apex, defaultTTL: 300).read(
    """
    @ 3600 IN SOA ns1 hostmaster 2026112300 3600 900 1209600 300
    @ 3600 IN NS ns1
    ns1 3600 IN A 127.0.0.1
    """)
records.reserveCapacity(devices * 2 + 3)
for i in 0..<devices { records += try device(i, rpid: i + 10) }
let t0 = Date()
var zone = try SignedZone(apex: apex, records: records, keys: .generate())
records = []
let signSeconds = Date().timeIntervalSince(t0)
_ = mallocTrim(0)
let rssSigned = rssKiB()

var config = DNSServer.Configuration()
config.udpListeners = System.coreCount
if notifyPort > 0 { config.notifyTargets = [try SocketAddress(ipAddress: "127.0.0.1", port: notifyPort)] }
config.notifyAttempts = 1
let server = DNSServer(configuration: config, zoneStore: ZoneStore(zone))
let ports = try await server.start(udpTCP: .init(host: "127.0.0.1", port: port))

/// Writes `text` pieces to `path` as they come, so that no file's whole text is held in memory at once.
func writeFile(_ path: String, _ produce: ((String) -> Void) -> Void) throws {
    FileManager.default.createFile(atPath: path, contents: nil)
    guard let file = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
    defer { try? file.close() }
    produce { file.write(Data($0.utf8)) }
}
try writeFile("\(dir)/zone.signed") { emit in
    var batch: [ResourceRecord] = []
    zone.forEachName { records in
        batch += records
        if batch.count >= 10_000 {
            emit(ZoneFileWriter.write(batch))
            batch = []
        }
    }
    emit(ZoneFileWriter.write(batch))
}
try writeFile("\(dir)/queries-existing") { emit in
    for i in 0..<min(devices, 100_000) {
        emit("\(eid(i))._device.iotregistry.test. TLSA\n\(i + 10).\(eid(i)).iotregistry.test. CERT\n")
    }
}
try writeFile("\(dir)/queries-mixed") { emit in
    for i in 0..<min(devices, 100_000) {
        emit(i % 2 == 0 ? "\(eid(i))._device.iotregistry.test. TLSA\n" : "\(i + 5).\(eid(i)).iotregistry.test. CERT\n")
    }
}

// Give back what signing and the files above used, so the figures are what serving needs (the peers are measured
// after loading too).
_ = mallocTrim(0)
let rssAfter = rssKiB()
say("ZONE-WRITTEN")
// The script starts the peers on the written zone, then touches `go` (the NOTIFY target must be up).
for _ in 0..<1200 where !FileManager.default.fileExists(atPath: "\(dir)/go") {
    try await Task.sleep(for: .milliseconds(100))
}

// One change at a time: sign (apply), publish (swap + journal), NOTIFY until the secondary answers.
var times: [(Double, Double)] = []
for k in 0..<5 {
    let a = Date()
    let diff = try zone.apply(ZoneChange(additions: try device(devices + k, rpid: devices + k + 10)))
    let b = Date()
    try await server.publish(zone, diff: diff)
    let c = Date()
    times.append((b.timeIntervalSince(a) * 1000, c.timeIntervalSince(b) * 1000))
}
let sortedApply = times.map(\.0).sorted()
let sortedPublish = times.map(\.1).sorted()
say(
    "READY udp=\(ports.udp ?? 0) tcp=\(ports.tcp ?? 0) names=\(zone.nameCount) sign_s=\(String(format: "%.1f", signSeconds))"
        + " stored_octets=\(zone.storedOctets) rss_signed_kib=\(rssSigned)"
        + " rss_before_kib=\(rssBefore) rss_after_kib=\(rssAfter)"
        + " change_apply_ms=\(String(format: "%.2f", sortedApply[2]))"
        + " publish_notify_ms=\(String(format: "%.2f", sortedPublish[2]))")
try await Task.sleep(for: .seconds(seconds))
await server.stop()
