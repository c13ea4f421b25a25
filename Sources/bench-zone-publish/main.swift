// Zone publishing latency: one device change signed, handed to the DNS server (snapshot swap + NOTIFY queued),
// and a 1,000-device transfer, on a zone of N devices; printed beside the issue's limits (10 ms, 1 s) as ratios.
//   swift run -c release bench-zone-publish [N]
import Crypto
import DNSSEC
import DNSServer
import DNSWire
import Foundation
import PKI
import RegistryZone
import SwiftASN1
import X509

actor Facts: ZoneFacts {
    var root: [UInt8] = []
    var issuing: [[UInt8]] = []
    var published: [String: PublishedIdentity] = [:]
    var sorted: [String] = []
    var history: [String: [Int64]] = [:]
    var events: [String] = []

    func load(root: [UInt8], issuing: [[UInt8]], identities: [PublishedIdentity]) {
        self.root = root
        self.issuing = issuing
        for identity in identities {
            published[identity.eid] = identity
            history[identity.eid] = [identity.rpid]
        }
        sorted = published.keys.sorted()
    }
    func change(_ identity: PublishedIdentity) {
        published[identity.eid] = identity
        history[identity.eid, default: []].append(identity.rpid)
        events.append(identity.eid)
    }
    func caCertificates() -> (root: [UInt8], issuing: [[UInt8]]) { (root, issuing) }
    func identities(after eid: String?, limit: Int) -> [PublishedIdentity] {
        var start = 0
        if let eid { start = sorted.firstIndex { $0 > eid } ?? sorted.count }
        return sorted[start..<min(sorted.count, start + limit)].compactMap { published[$0] }
    }
    func identity(eid: String) -> (current: PublishedIdentity?, rpids: [Int64]) { (published[eid], history[eid] ?? []) }
    func services() -> [PublishedService] { [] }
    func latestChange() -> Int64 { Int64(events.count) }
    func changedDevices(after sequence: Int64, limit: Int) -> (eids: [String], through: Int64) {
        let from = Int(sequence)
        let to = min(events.count, from + limit)
        return (Array(events[from..<to]), Int64(to))
    }
}

struct ServerSink: ZoneSink {
    let server: DNSServer
    func publish(_ zone: SignedZone, diff: ZoneDiff?) async { _ = try? await server.publish(zone, diff: diff) }
}

func der(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
}

func eid(_ n: Int) -> String {
    let body = "8904903200" + String(format: "%020d", n)
    var remainder = 0
    for ch in body + "00" { remainder = (remainder * 10 + Int(ch.asciiValue! - 48)) % 97 }
    return body + String(format: "%02d", 98 - remainder)
}

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let zoneName = "iotregistry.test."
let hierarchy = try CAHierarchy.create(
    keyStore: InMemoryKeyStore(), rootSubject: try DistinguishedName(parsing: "CN=Bench Root"),
    issuing: ["devices": try DistinguishedName(parsing: "CN=Bench Issuing")])
let ca = hierarchy.issuing["devices"]!
let urls = try PublicationURLs(base: "http://127.0.0.1:8080")
func certificate(_ eid: String, _ rpid: Int64) throws -> [UInt8] {
    try der(
        DeviceCertificateProfile(
            publicKey: Certificate.PublicKey(P256.Signing.PrivateKey().publicKey), rpid: UInt64(rpid), eid: eid,
            zone: zoneName, urls: urls
        ).issue(by: ca))
}
print("issuing \(count) device certificates for the zone…")
var identities: [PublishedIdentity] = []
for n in 0..<count {
    identities.append(
        PublishedIdentity(eid: eid(n), rpid: Int64(n + 1), certificate: try certificate(eid(n), Int64(n + 1))))
}
let facts = Facts()
await facts.load(root: try der(hierarchy.root.certificate), issuing: [try der(ca.certificate)], identities: identities)
let publisher = ZonePublisher(
    records: ZoneRecords(configuration: try ZoneConfiguration(apex: try DNSName(zoneName))), facts: facts,
    keys: ZoneKeys.generate())
var start = Date()
let zone = try await publisher.rebuild()
print(String(format: "signed %d names from scratch in %.2f s", zone.nameCount, Date().timeIntervalSince(start)))
let server = DNSServer(zoneStore: ZoneStore(zone))
var configuration = DNSServer.Configuration()
_ = configuration
try await server.start(udpTCP: .init(host: "127.0.0.1", port: 0))
await publisher.attach(ServerSink(server: server))

// One device re-certified (new key, same profile): signed, swapped into the server, NOTIFY queued.
var singles: [Double] = []
for i in 0..<50 {
    let e = eid(i)
    await facts.change(
        PublishedIdentity(eid: e, rpid: Int64(count + i + 1), certificate: try certificate(e, Int64(count + i + 1))))
    start = Date()
    try await publisher.catchUp()
    singles.append(Date().timeIntervalSince(start))
}
singles.sort()
let single = singles[singles.count / 2]

// A 1,000-device transfer: every device gets a new profile and certificate at once.
let batch = min(1_000, count)
for i in 0..<batch {
    let e = eid(count - 1 - i)
    await facts.change(
        PublishedIdentity(eid: e, rpid: Int64(10 * count + i), certificate: try certificate(e, Int64(10 * count + i))))
}
start = Date()
try await publisher.catchUp()
let transfer = Date().timeIntervalSince(start)
await server.stop()

func row(_ label: String, _ ours: String, _ limit: String, _ ratio: String) {
    print(label.padding(toLength: 50, withPad: " ", startingAt: 0) + ours.leftPadded(12) + limit.leftPadded(10) + ratio.leftPadded(8))
}
extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
print("")
row("measure", "ours", "limit", "ratio")
row("one device change signed+served (median of 50)", String(format: "%.2f ms", single * 1000), "10 ms",
    String(format: "%.3f", single * 1000 / 10))
row("\(batch)-device transfer signed+served", String(format: "%.0f ms", transfer * 1000), "1000 ms",
    String(format: "%.3f", transfer))
print("(zone of \(count) devices; ratio < 1 is within the issue's bound)")
