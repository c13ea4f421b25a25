// Device creates per second through the registry core (Registry.registerDevice) and one bulk create job, on SQLite
// and on PostgreSQL (one node) in the same run, printed side by side with the ratio PostgreSQL / SQLite. With
// --transfer N, then a bulk transfer of a fleet of N active, certified devices on SQLite (one node), on PostgreSQL
// with one node and with two nodes (BulkTransfer.swift).
//
//   swift run -c release bench-store --postgres postgres://iotreg@127.0.0.1:PORT/postgres \
//       [--creates 20000] [--concurrency 16] [--bulk 100000] [--transfer 0]
//
// Both stores commit durably (SQLite WAL with synchronous=FULL; PostgreSQL synchronous_commit=on), each on a fresh
// database (a temporary SQLite file; a new PostgreSQL database, dropped afterwards).
import Foundation
import Logging
import PostgresNIO
import RegistryCore
import RegistryStorePostgres
import RegistryStoreSQLite
import RegistryTesting

struct Options {
    var postgres = ProcessInfo.processInfo.environment["IOTREG_TEST_POSTGRES_URL"]
    var creates = 20_000
    var concurrency = 16
    var bulk = 100_000
    var transfer = 0

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--postgres": postgres = value
            case "--creates": creates = Int(value) ?? creates
            case "--concurrency": concurrency = Int(value) ?? concurrency
            case "--bulk": bulk = Int(value) ?? bulk
            case "--transfer": transfer = Int(value) ?? transfer
            default: throw BenchError("unknown option \(flag)")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Figures {
    var createsPerSecond: Double
    var bulkSeconds: Double
    var bulkPerSecond: Double
}

func eid(_ n: Int) throws -> String {
    try EID.withCheckDigits(body: String(format: "8904903277%020d", n)).digits
}

func iccid(_ n: Int) throws -> String {
    try ICCID.withCheckDigit(body: String(format: "89881234%010d", n)).digits
}

func measure(_ store: any RegistryStore, options: Options) async throws -> Figures {
    let registry = Registry(store: store)
    let operatorToken = try await registry.bootstrapOperator()
    let op = try await registry.authenticate(token: operatorToken.secret)
    let asp = try await registry.createASP(NewASP(name: "ParkoServ", fqdn: "iot.parkoserv.test", port: 8883), by: op)
    let aspPrincipal = try await registry.authenticate(token: asp.token.secret)
    let owner = try await registry.createTenant(kind: .owner, name: "City", by: op).id
    let mno = try await registry.createTenant(kind: .mno, name: "Telco", by: op).id

    // 1. single creates, `concurrency` callers at once (as concurrent API requests)
    let perWorker = options.creates / options.concurrency
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<options.concurrency {
            group.addTask {
                for i in 0..<perWorker {
                    let n = worker * perWorker + i
                    _ = try await registry.registerDevice(
                        NewDevice(eid: try eid(n), iccid: try iccid(n), owner: owner, mno: mno, model: "SParkometer"),
                        by: aspPrincipal)
                }
            }
        }
        try await group.waitForAll()
    }
    let createSeconds = seconds(clock.now - start)

    // 2. one bulk create job: submit (stores every item) and run (batches of 1,000 per transaction)
    let offset = 10_000_000
    let items = try (0..<options.bulk).map { i in
        JobItemInput(eid: try eid(offset + i), iccid: try iccid(offset + i), model: "SParkometer")
    }
    let bulkStart = clock.now
    let job = try await registry.submitJob(
        .create, items: items, defaults: JobDefaults(owner: owner, mno: mno), by: aspPrincipal)
    try await registry.runJob(id: job.id)
    let bulkSeconds = seconds(clock.now - bulkStart)
    let done = try await registry.job(id: job.id, by: aspPrincipal)
    guard done.succeeded == options.bulk else {
        throw BenchError("bulk job: \(done.succeeded) of \(options.bulk) succeeded (\(done.failed) failed)")
    }
    guard try await registry.verifyAudit().isIntact else { throw BenchError("the audit chain does not verify") }
    return Figures(
        createsPerSecond: Double(perWorker * options.concurrency) / createSeconds, bulkSeconds: bulkSeconds,
        bulkPerSecond: Double(options.bulk) / bulkSeconds)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func adminQuery(_ url: PostgresDatabaseURL, _ sql: String) async throws {
    let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let connection = try await PostgresConnection.connect(
        configuration: PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: .disable),
        id: 0, logger: logger)
    do {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        try await connection.close()
    } catch {
        try? await connection.close()
        throw error
    }
}

/// Single creates and one bulk create job, SQLite beside PostgreSQL.
func compareCreates(options: Options, postgres postgresText: String) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let sqlite = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite").path)
    try await sqlite.migrate()
    print(
        "SQLite: \(options.creates) creates with \(options.concurrency) callers, then a \(options.bulk)-device job ...")
    let sqliteFigures = try await measure(sqlite, options: options)
    try? FileManager.default.removeItem(at: directory)

    let base = try PostgresDatabaseURL(postgresText)
    let database = "iotreg_bench_\(Int(Date().timeIntervalSince1970))"
    try await adminQuery(base, "CREATE DATABASE \(database)")
    let postgres = try PostgresRegistryStore(
        url: base.with(database: database), maximumConnections: options.concurrency)
    try await postgres.migrate()
    print("PostgreSQL (one node): the same ...")
    let postgresFigures = try await measure(postgres, options: options)
    await postgres.shutdown()
    try await adminQuery(base, "DROP DATABASE \(database) WITH (FORCE)")

    func row(_ label: String, _ a: Double, _ b: Double) -> String {
        label.padding(toLength: 36, withPad: " ", startingAt: 0)
            + String(format: "%10.0f dev/s %10.0f dev/s %8.2f", a, b, b / a)
    }
    print("")
    print("".padding(toLength: 36, withPad: " ", startingAt: 0) + "      SQLite       PostgreSQL  PG/SQLite")
    print(
        row(
            "creates (\(options.concurrency) callers)", sqliteFigures.createsPerSecond, postgresFigures.createsPerSecond
        ))
    print(row("bulk create job, \(options.bulk) devices", sqliteFigures.bulkPerSecond, postgresFigures.bulkPerSecond))
    print(
        String(
            format: "bulk job wall time: SQLite %.1f s, PostgreSQL %.1f s", sqliteFigures.bulkSeconds,
            postgresFigures.bulkSeconds))
}

/// The same fleet moved by bulk transfer on SQLite (one node), on PostgreSQL with one node, then with two nodes
/// over the same database (the fleet moves back); each side builds its own fleet first.
func compareTransfers(options: Options, postgres postgresText: String) async throws {
    let size = options.transfer
    func log(_ text: String) {
        print(text)
        fflush(nil)
    }
    let pki = try TestCertificates.pki()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let sqlite = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite").path)
    try await sqlite.migrate()
    log("SQLite, one node: a fleet of \(size) devices ...")
    var (sqliteFleet, sqliteSetup) = try await makeFleet(
        on: [Registry(store: sqlite, pki: pki)], size: size, concurrency: options.concurrency, log: log)
    log("  transferring the fleet ...")
    let sqliteRate = try await transferFleet(&sqliteFleet)
    guard try await sqliteFleet.nodes[0].verifyAudit().isIntact else { throw BenchError("SQLite: audit chain broken") }

    let base = try PostgresDatabaseURL(postgresText)
    let database = "iotreg_bench_transfer_\(Int(Date().timeIntervalSince1970))"
    try await adminQuery(base, "CREATE DATABASE \(database)")
    // Two nodes: two registries, each with its own connection pool, sharing the database and the CA's keys.
    let first = try PostgresRegistryStore(url: base.with(database: database), maximumConnections: options.concurrency)
    let second = try PostgresRegistryStore(url: base.with(database: database), maximumConnections: options.concurrency)
    try await first.migrate()
    let nodeA = Registry(store: first, pki: pki)
    let nodeB = Registry(store: second, pki: pki)
    log("PostgreSQL: a fleet of \(size) devices ...")
    var (postgresFleet, postgresSetup) = try await makeFleet(
        on: [nodeA], size: size, concurrency: options.concurrency, log: log)
    log("  transferring the fleet on one node ...")
    let oneNodeRate = try await transferFleet(&postgresFleet)
    log("  transferring it back on two nodes ...")
    var twoNodes = Fleet(
        nodes: [nodeA, nodeB], owner: postgresFleet.owner, sponsor: postgresFleet.sponsor,
        other: postgresFleet.other, eids: postgresFleet.eids)
    let twoNodeRate = try await transferFleet(&twoNodes)
    guard try await nodeA.verifyAudit().isIntact else { throw BenchError("PostgreSQL: audit chain broken") }
    await first.shutdown()
    await second.shutdown()
    try await adminQuery(base, "DROP DATABASE \(database) WITH (FORCE)")

    func cell(_ rate: Double) -> String { String(format: "%12.0f dev/s", rate) }
    print("")
    print("bulk transfer of \(size) active, certified devices (each re-certified under its new profile)")
    print("                         SQLite 1 node    PostgreSQL 1 node   PostgreSQL 2 nodes")
    print(
        "transfer            " + cell(sqliteRate) + "  " + cell(oneNodeRate) + "    " + cell(twoNodeRate))
    print(
        String(
            format: "ratio to SQLite     %17.2f  %17.2f    %17.2f", 1.0, oneNodeRate / sqliteRate,
            twoNodeRate / sqliteRate))
    print(String(format: "two nodes / one node: %.2f", twoNodeRate / oneNodeRate))
    for (name, setup) in [("SQLite", sqliteSetup), ("PostgreSQL", postgresSetup)] {
        print(
            String(
                format: "fleet set-up on %@: create %.0f dev/s, activate %.0f dev/s, certify %.0f dev/s", name,
                setup.create, setup.activate, setup.certify))
    }
}

let options = try Options(CommandLine.arguments)
guard let postgresText = options.postgres else {
    print("needs --postgres postgres://... (or IOTREG_TEST_POSTGRES_URL); start one: scripts/postgres-test-cluster.sh")
    exit(2)
}
if options.creates > 0 && options.bulk > 0 { try await compareCreates(options: options, postgres: postgresText) }
if options.transfer > 0 { try await compareTransfers(options: options, postgres: postgresText) }
