import Crypto
import Foundation
import RegistryCore
import RegistryTesting

/// A fleet of active, certified devices under one ASP, and the registry nodes that serve it (one `Registry` per
/// node, each over its own store: its own connection pool to the shared database).
struct Fleet {
    let nodes: [Registry]
    let owner: Principal
    /// The ASP that sponsors the fleet now, and the other one.
    var sponsor: Principal
    var other: Principal
    let eids: [String]
}

/// Devices per second of each stage that builds a fleet (they are printed, not compared).
struct FleetFigures {
    var create: Double
    var activate: Double
    var certify: Double
}

/// Registers `size` devices in one bulk job, activates them in another, and has every eSIM's key certified by the
/// MNO (a P-256 key made for each device, its CSR submitted as `POST /v1/devices/{eid}/csr` does, `concurrency` at
/// a time): what a transfer of a live fleet starts from. A transfer of a certified device re-certifies its key
/// under the new profile, so an uncertified fleet would measure less work than a real move.
func makeFleet(on nodes: [Registry], size: Int, concurrency: Int, log: (String) -> Void) async throws
    -> (Fleet, FleetFigures)
{
    let registry = nodes[0]
    let op = try await registry.authenticate(token: try await registry.bootstrapOperator().secret)
    func asp(_ name: String, _ fqdn: String) async throws -> Principal {
        let onboarded = try await registry.createASP(NewASP(name: name, fqdn: fqdn, port: 8883), by: op)
        return try await registry.authenticate(token: onboarded.token.secret)
    }
    let losing = try await asp("ParkoServ", "iot.parkoserv.test")
    let gaining = try await asp("CarParkServ", "iot.carpark.test")
    let owner = try await registry.createTenant(kind: .owner, name: "City", by: op)
    let mno = try await registry.createTenant(kind: .mno, name: "Telco", by: op)
    let mnoPrincipal = try await registry.authenticate(token: mno.token.secret)
    let eids = try (0..<size).map { try eid(20_000_000 + $0) }

    log("  creating \(size) devices (one bulk job) ...")
    let items = try eids.enumerated().map { n, eid in
        JobItemInput(eid: eid, iccid: try iccid(20_000_000 + n), model: "SParkometer")
    }
    let create = try await timedJob(
        .create, items, JobDefaults(owner: owner.id, mno: mno.id), by: losing, on: [registry])
    log("  activating them (one bulk job) ...")
    let activate = try await timedJob(
        .activate, eids.map { JobItemInput(eid: $0) }, .init(), by: losing, on: [registry])

    log("  certifying every eSIM key (\(concurrency) CSRs at a time) ...")
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                for index in stride(from: worker, to: eids.count, by: concurrency) {
                    let csr = try TestCertificates.csr(P256.Signing.PrivateKey())
                    _ = try await registry.submitCSR(eids[index], csr: csr, by: mnoPrincipal)
                }
            }
        }
        try await group.waitForAll()
    }
    let certify = Double(size) / seconds(clock.now - start)
    let fleet = Fleet(
        nodes: nodes, owner: try await registry.authenticate(token: owner.token.secret), sponsor: losing,
        other: gaining, eids: eids)
    return (fleet, FleetFigures(create: create, activate: activate, certify: certify))
}

/// Moves the whole fleet to the other ASP: the owner issues one transfer code, the gaining ASP submits the fleet
/// as one bulk job per node (any node takes API traffic; a job runs on the node that took it) and every node runs
/// its job at once. Returns devices per second from the code's issue to the last job's completion.
func transferFleet(_ fleet: inout Fleet) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    let code = try await fleet.nodes[0].issueTransferCode(for: fleet.eids, by: fleet.owner).code
    let share = (fleet.eids.count + fleet.nodes.count - 1) / fleet.nodes.count
    let gaining = fleet.other
    let eids = fleet.eids
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (index, node) in fleet.nodes.enumerated() {
            let part = eids[min(index * share, eids.count)..<min((index + 1) * share, eids.count)]
            guard !part.isEmpty else { continue }
            group.addTask {
                let job = try await node.submitJob(
                    .transfer, items: part.map { JobItemInput(eid: $0) }, defaults: JobDefaults(authCode: code),
                    by: gaining)
                try await node.runJob(id: job.id)
                try await expectAllSucceeded(job.id, on: node, by: gaining, count: part.count)
            }
        }
        try await group.waitForAll()
    }
    let perSecond = Double(fleet.eids.count) / seconds(clock.now - start)
    swap(&fleet.sponsor, &fleet.other)
    return perSecond
}

/// Submits and runs one job on the first of `nodes`; devices per second, submission included.
private func timedJob(
    _ operation: JobOperation, _ items: [JobItemInput], _ defaults: JobDefaults, by principal: Principal,
    on nodes: [Registry]
) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    let job = try await nodes[0].submitJob(operation, items: items, defaults: defaults, by: principal)
    try await nodes[0].runJob(id: job.id)
    try await expectAllSucceeded(job.id, on: nodes[0], by: principal, count: items.count)
    return Double(items.count) / seconds(clock.now - start)
}

private func expectAllSucceeded(_ id: String, on node: Registry, by principal: Principal, count: Int) async throws {
    let done = try await node.job(id: id, by: principal)
    guard done.status == .completed, done.succeeded == count else {
        let failed = try await node.jobItems(id: id, after: -1, limit: 10_000, by: principal).first {
            $0.status == .failed
        }
        throw BenchError(
            "\(done.operation) job: \(done.succeeded) of \(count) succeeded, \(done.failed) failed; first failure: "
                + (failed.map { "\($0.input.eid): \($0.message ?? "")" } ?? "none listed"))
    }
}
