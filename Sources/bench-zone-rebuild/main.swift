// bench-zone-rebuild: the zone of N devices signed from scratch out of PostgreSQL (issue 8: "zone rebuild time and
// memory for 10,000,000 devices on PostgreSQL"), with the time beside the machine's ECDSA P-256 signing limit and
// the memory beside the machine's RAM and NSD's bytes per device.
//
//   bench-zone-rebuild --postgres URL --devices 10000000 [--distinct 100000] [--follow 40000]
//                      [--ecdsa-limit SIGNATURES_PER_S]
//
// Then the zone follows `--follow` deactivations (outbox events written with SQL): the first half read from the
// database one device at a time (three queries each, as the publisher did before batch reads), the second half with
// the batch reads it uses now, side by side as a ratio.
//
// The database is a fresh one, filled with SQL: N active devices, each with a good certificate for its current
// profile, as the registry stores them. The certificates are `--distinct` real device certificates (a P-256 key
// each, signed by a registry CA in memory, about 830 bytes of DER) used round robin: issuing ten million would take
// longer than the rebuild, and the rebuild does the same work (parse, hash, sign) for a repeated one.
// bench/zone-rebuild.sh measures the signing limit with `openssl speed -multi` and passes it.
import Crypto
import DNSSEC
import DNSWire
import Foundation
import Logging
import PKI
import PostgresNIO
import RegistryCore
import RegistryStorePostgres
import RegistryTesting
import RegistryZone
import SwiftASN1
import Synchronization
import X509

@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32

func log(_ text: String) {
    print(text)
    fflush(nil)
}

func option(_ name: String) -> String? {
    let a = CommandLine.arguments
    guard let i = a.firstIndex(of: name), i + 1 < a.count else { return nil }
    return a[i + 1]
}

/// A field of /proc/self/status in KiB (VmRSS now, VmHWM the peak).
func statusKiB(_ field: String) -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func physicalMemoryKiB() -> Int {
    let info = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    for line in info.split(separator: "\n") where line.hasPrefix("MemTotal:") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func der(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
}

/// The registry's facts, with the batch read of many devices switchable to one read per device.
final class SwitchableFacts: ZoneFacts {
    let base: RegistryZoneFacts
    let batched = Atomic<Bool>(false)

    init(_ base: RegistryZoneFacts) { self.base = base }

    func caCertificates() async throws -> (root: [UInt8], issuing: [[UInt8]]) { try await base.caCertificates() }
    func identities(after eid: String?, limit: Int) async throws -> [PublishedIdentity] {
        try await base.identities(after: eid, limit: limit)
    }
    func identity(eid: String) async throws -> (current: PublishedIdentity?, rpids: [Int64]) {
        try await base.identity(eid: eid)
    }
    func identities(eids: [String]) async throws -> [String: (current: PublishedIdentity?, rpids: [Int64])] {
        if batched.load(ordering: .relaxed) { return try await base.identities(eids: eids) }
        var found: [String: (current: PublishedIdentity?, rpids: [Int64])] = [:]
        for eid in eids { found[eid] = try await base.identity(eid: eid) }
        return found
    }
    func services() async throws -> [PublishedService] { try await base.services() }
    func latestChange() async throws -> Int64 { try await base.latestChange() }
    func changedDevices(after sequence: Int64, limit: Int) async throws -> (eids: [String], through: Int64) {
        try await base.changedDevices(after: sequence, limit: limit)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

guard let urlText = option("--postgres") ?? ProcessInfo.processInfo.environment["IOTREG_TEST_POSTGRES_URL"] else {
    print("needs --postgres postgres://... (or IOTREG_TEST_POSTGRES_URL); start one: scripts/postgres-test-cluster.sh")
    exit(2)
}
let devices = Int(option("--devices") ?? "1000000") ?? 1_000_000
let distinct = min(devices, Int(option("--distinct") ?? "100000") ?? 100_000)
let ecdsaLimit = Double(option("--ecdsa-limit") ?? "")
let follow = min(devices, Int(option("--follow") ?? "40000") ?? 40_000) / 2 * 2
let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// One connection for the SQL that fills the database.
func connect(_ url: PostgresDatabaseURL) async throws -> PostgresConnection {
    try await PostgresConnection.connect(
        configuration: PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: .disable),
        id: 0, logger: logger)
}

func close(_ connection: PostgresConnection) async throws { try await connection.close() }

/// Runs `query` to its end (PostgresNIO reports a failed statement through its rows).
func run(_ connection: PostgresConnection, _ query: PostgresQuery) async throws {
    for try await _ in try await connection.query(query, logger: logger) {}
}

let base = try PostgresDatabaseURL(urlText)
// --fill-only fills a database and keeps it; --database NAME rebuilds from one filled so (its devices must number
// --devices), so the filling can run while the machine does other work and the timed part on a quiet one.
let fillOnly = CommandLine.arguments.contains("--fill-only")
let reused = option("--database")
let database = reused ?? "iotreg_bench_zone_\(Int(Date().timeIntervalSince1970))"
let admin = try await connect(base)
if reused == nil { try await run(admin, PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)")) }
let url = base.with(database: database)
let store = try PostgresRegistryStore(url: url, maximumConnections: 4)
try await store.migrate()
let sql = try await connect(url)

// MARK: - filling the database

let pki = try TestCertificates.pki(validity: 365 * 86_400)
// Times as the stores keep them: milliseconds since 1970.
let now = Int64(Date().timeIntervalSince1970 * 1000)
var start = clock.now
var fillSeconds = 0.0
if reused == nil {
    log("issuing \(distinct) device certificates for the fleet ...")
    var ders: [String] = []
    var spkis: [String] = []
    ders.reserveCapacity(distinct)
    for k in 0..<distinct {
        let key = P256.Signing.PrivateKey()
        let eid = try EID.withCheckDigits(body: "89049032" + String(format: "%022d", k + 1)).digits
        let certificate = try DeviceCertificateProfile(
            publicKey: Certificate.PublicKey(key.publicKey), rpid: UInt64(k + 1), eid: eid, zone: pki.zone,
            urls: pki.urls
        ).issue(by: pki.issuer)
        let bytes = try der(certificate)
        ders.append(bytes.map { String(format: "%02x", $0) }.joined())
        spkis.append(
            SHA256.hash(data: try CertificateDER.subjectPublicKeyInfo(bytes)).map { String(format: "%02x", $0) }
                .joined())
    }
    let averageDER = ders.map { $0.utf8.count / 2 }.reduce(0, +) / max(1, ders.count)
    log(String(format: "  %.1f s, %d bytes of DER on average", seconds(clock.now - start), averageDER))

    try await run(
        sql, "CREATE UNLOGGED TABLE bench_certificates (k BIGINT PRIMARY KEY, der BYTEA NOT NULL, spki TEXT NOT NULL)",
    )
    for at in stride(from: 0, to: distinct, by: 2_000) {
        let range = at..<min(distinct, at + 2_000)
        let ks = range.map { Int64($0) }
        let d = Array(ders[range])
        let s = Array(spkis[range])
        try await run(
            sql,
            """
            INSERT INTO bench_certificates
            SELECT k, decode(d, 'hex'), s FROM unnest(\(ks)::BIGINT[], \(d)::TEXT[], \(s)::TEXT[]) AS t(k, d, s)
            """)
    }
    ders = []
    spkis = []
    // The EID of device g: 30 digits of body, then ISO 7064 MOD 97-10 check digits (as `EID.withCheckDigits`).
    try await run(
        sql,
        """
        CREATE FUNCTION bench_eid(g BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
            SELECT b || lpad((98 - ((b || '00')::NUMERIC % 97))::TEXT, 2, '0')
            FROM (SELECT '89049032' || lpad(g::TEXT, 22, '0') AS b) AS body $$
        """)
    let iccid = try ICCID.withCheckDigit(body: "8988123456789012345").digits
    log("filling the database with \(devices) active devices and their certificates ...")
    start = clock.now
    let chunk = 500_000
    for at in stride(from: 1, through: devices, by: chunk) {
        let last = Int64(min(devices, at + chunk - 1))
        let first = Int64(at)
        try await run(
            sql,
            """
            INSERT INTO devices (eid, iccid, owner_id, asp_id, mno_id, state, rpid, model, created_at, updated_at, version)
            SELECT bench_eid(g), \(iccid), 'owner-bench', 'asp-bench', 'mno-bench', 'active', g, 'SParkometer',
                \(now), \(now), 1
            FROM generate_series(\(first), \(last)) AS g
            """)
        try await run(
            sql,
            """
            INSERT INTO certificates (serial, eid, rpid, issuer_key_id, spki_sha256, der, not_before, not_after, status,
                issued_seq)
            SELECT lpad(to_hex(g), 16, '0'), bench_eid(g), g, 'bench', c.spki, c.der, \(now), \(now + 365 * 86_400_000),
                'good', g
            FROM generate_series(\(first), \(last)) AS g
            JOIN bench_certificates AS c ON c.k = g % \(Int64(distinct))
            """)
        log(String(format: "  %d devices, %.0f s", last, seconds(clock.now - start)))
    }
    try await run(sql, "ANALYZE")
    fillSeconds = seconds(clock.now - start)
}
if fillOnly {
    try await close(sql)
    await store.shutdown()
    try await close(admin)
    log("kept database \(database): rebuild from it with --database \(database) --devices \(devices)")
    exit(0)
}

// MARK: - the rebuild

let root = try der(pki.hierarchy.root.certificate)
let issuing = try pki.hierarchy.issuing.values.map { try der($0.certificate) }
let facts = SwitchableFacts(RegistryZoneFacts(store: store, caCertificates: { (root, issuing) }))

log("reading every published identity (the database's share of a rebuild) ...")
start = clock.now
var cursor: String?
var published = 0
while true {
    let page = try await facts.identities(after: cursor, limit: 10_000)
    published += page.count
    guard let last = page.last, page.count == 10_000 else { break }
    cursor = last.eid
}
let readSeconds = seconds(clock.now - start)
guard published == devices else { throw BenchError(description: "read \(published) identities, not \(devices)") }

_ = mallocTrim(0)
let rssBefore = statusKiB("VmRSS")
let publisher = ZonePublisher(
    records: ZoneRecords(configuration: try ZoneConfiguration(apex: try DNSName("iotregistry.test."))), facts: facts,
    keys: ZoneKeys.generate())
log("rebuilding the zone of \(devices) devices from the database ...")
start = clock.now
let zone = try await publisher.rebuild()
let rebuildSeconds = seconds(clock.now - start)
let peak = statusKiB("VmHWM")
_ = mallocTrim(0)
let rssAfter = statusKiB("VmRSS")
guard zone.nameCount >= 2 * devices else {
    throw BenchError(description: "the zone has \(zone.nameCount) names, not 2 per device for \(devices)")
}

/// Deactivates devices `first...last` and writes their outbox events, as the registry would in one commit each;
/// returns devices per second of the zone following them.
func followDeactivations(_ first: Int64, _ last: Int64) async throws -> Double {
    try await run(sql, "UPDATE devices SET state = 'deactivated' WHERE rpid BETWEEN \(first) AND \(last)")
    try await run(
        sql,
        """
        INSERT INTO outbox (seq, at, kind, eid, asp_id, rpid)
        SELECT g, \(now), 'device.deactivated', bench_eid(g), 'asp-bench', g
        FROM generate_series(\(first), \(last)) AS g
        """)
    try await run(sql, "UPDATE counters SET value = \(last) WHERE name = 'outbox'")
    let begin = clock.now
    try await publisher.catchUp()
    let rate = Double(last - first + 1) / seconds(clock.now - begin)
    let zone = await publisher.zone
    guard zone?.rrset(try DNSName("\(try bench_eid(last))._device.iotregistry.test."), .tlsa) == nil else {
        throw BenchError(description: "device \(last) is still in the zone after its deactivation")
    }
    return rate
}
func bench_eid(_ g: Int64) throws -> String {
    try EID.withCheckDigits(body: "89049032" + String(format: "%022lld", g)).digits
}
var perDeviceRate = 0.0
var batchRate = 0.0
if follow > 0 {
    log("following \(follow / 2) deactivations with one read per device, then \(follow / 2) with batch reads ...")
    perDeviceRate = try await followDeactivations(1, Int64(follow / 2))
    facts.batched.store(true, ordering: .relaxed)
    batchRate = try await followDeactivations(Int64(follow / 2) + 1, Int64(follow))
}
try await close(sql)
await store.shutdown()
try await run(admin, PostgresQuery(unsafeSQL: "DROP DATABASE \(database) WITH (FORCE)"))  // deactivations changed it
try await close(admin)

// MARK: - figures

// Two signed RRsets per name: the data (TLSA or CERT) and the NSEC.
let signatures = Double(2 * zone.nameCount)
let perDevice = Double(rssAfter - rssBefore) * 1024 / Double(devices)
let ram = physicalMemoryKiB()
print("")
print("zone rebuild from PostgreSQL: \(devices) devices, \(zone.nameCount) names, \(Int(signatures)) signatures")
print(
    reused == nil
        ? String(format: "database filled in %.0f s (SQL, not measured against anything)", fillSeconds)
        : "database \(database) filled earlier (--fill-only)")
print(
    String(
        format: "reading the identities alone        %8.1f s  (%.0f devices/s)", readSeconds,
        Double(devices) / readSeconds))
print(
    String(
        format: "rebuild (read + sign + NSEC chain)  %8.1f s  (%.0f devices/s, %.0f signatures/s)",
        rebuildSeconds, Double(devices) / rebuildSeconds, signatures / rebuildSeconds))
if let ecdsaLimit {
    print(
        String(
            format: "ECDSA P-256 limit of this machine   %8.1f s  (%.0f signatures/s, openssl speed -multi)",
            signatures / ecdsaLimit, ecdsaLimit))
    print(String(format: "rebuild / limit                     %8.2f", rebuildSeconds / (signatures / ecdsaLimit)))
}
print(
    String(
        format:
            "memory: zone %.0f bytes/device (RSS after - before, %.2f GiB); peak RSS %.2f GiB of %.1f GiB RAM (%.2f)",
        perDevice, Double(rssAfter - rssBefore) / 1_048_576, Double(peak) / 1_048_576, Double(ram) / 1_048_576,
        Double(peak) / Double(max(1, ram))))
print(String(format: "bytes/device beside NSD's 1,800 on the same kind of zone (issue 4): %.2f", perDevice / 1800))
if follow > 0 {
    print(
        String(
            format:
                "zone following deactivations: one read per device %.0f devices/s, batch reads %.0f devices/s (%.2f)",
            perDeviceRate, batchRate, batchRate / perDeviceRate))
}
