import Foundation
import GRDB
import PeerTesting
import RegistryCore
import Synchronization
import Testing

@Suite("Audit log: append-only and tamper-evident")
struct AuditTamperTests {
    /// A registry file with a few dozen audit entries from real operations.
    static func populated() async throws -> (World, URL, String) {
        let directory = try PeerTool.temporaryDirectory("iotreg-audit")
        let path = directory.appendingPathComponent("registry.sqlite").path
        let world = try await World.make(path: path)
        for n in 1...4 { try await world.device(n, in: .active) }
        try await world.device(5, in: .deleted)
        let code = try await world.registry.issueTransferCode(for: [Fixture.eid(1)], by: world.owner)
        _ = try await world.registry.requestTransfer(Fixture.eid(1), authCode: code.code, by: world.otherASP)
        let verification = try await world.registry.verifyAudit()
        #expect(verification.isIntact, "\(verification.problem ?? "")")
        #expect(verification.entriesChecked >= 20)
        return (world, directory, path)
    }

    /// What an attacker with write access to the file does first.
    static func dropTriggers(_ db: Database) throws {
        try db.execute(sql: "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")
    }

    static func lastSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_log") ?? 0
    }

    @Test("entries a running node writes while the chain is checked do not make it look cut off")
    func entriesWrittenDuringTheCheckAreLeftForTheNextOne() async throws {
        let world = try await World.make()
        for n in 1...3 { try await world.device(n, in: .active) }
        let base = world.store
        // A "node" commits two entries (entries and head together) just before the head is read, and before each
        // of the first pages of the chain.
        let pagesWritten = Mutex(0)
        let live = CrashingStore(base: base, commitsBeforeCrash: .max, applyFatalCommit: false) { head in
            guard
                head
                    || pagesWritten.withLock({ n in
                        n += 1
                        return n <= 3
                    })
            else { return }
            var changes = ChangeSet()
            for _ in 0..<2 {
                changes.audit.append(AuditDraft(at: Date(), actor: "test", action: "test.write", target: "x"))
            }
            try await base.commit(changes)
        }
        let before = try await base.auditHead().sequence
        let checking = Registry(store: live, configuration: .init())
        let verification = try await checking.verifyAudit(pageSize: 4)
        #expect(verification.isIntact, "\(verification.problem ?? "")")
        // What was there when the check began, and the two entries written before the head was read.
        #expect(verification.entriesChecked == before + 2)
        // The entries written meanwhile are whole too: the next check covers them.
        let after = try await world.registry.verifyAudit()
        #expect(after.isIntact && after.entriesChecked > before)
    }

    @Test func triggersRefusePlainUpdateAndDelete() async throws {
        let (world, directory, path) = try await Self.populated()
        defer { try? FileManager.default.removeItem(at: directory) }
        let attacker = try DatabaseQueue(path: path)
        let before = try await world.audit()
        #expect(throws: DatabaseError.self) {
            try attacker.write { try $0.execute(sql: "UPDATE audit_log SET details = '{}' WHERE seq = 3") }
        }
        #expect(throws: DatabaseError.self) {
            try attacker.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 3") }
        }
        #expect(throws: DatabaseError.self) {
            try attacker.write { try $0.execute(sql: "DELETE FROM audit_log") }
        }
        #expect(try await world.audit() == before)
        #expect(try await world.registry.verifyAudit().isIntact)
    }

    enum Attack: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case editDetails, editDetailsAndRehashEntry, rewriteChainTail, deleteMiddle, deleteLast, deleteLastTwo
        case reorderTwo, insertForged
        var testDescription: String { rawValue }
    }

    @Test(arguments: Attack.allCases)
    func tamperingIsDetected(_ attack: Attack) async throws {
        let (world, directory, path) = try await Self.populated()
        defer { try? FileManager.default.removeItem(at: directory) }
        let attacker = try DatabaseQueue(path: path)
        let target: Int64 = 7
        let last = try await attacker.write { db -> Int64 in
            try Self.dropTriggers(db)
            return try Self.lastSequence(db)
        }
        let named = try await attacker.write { db -> Int64 in
            switch attack {
            case .editDetails:
                try db.execute(
                    sql: "UPDATE audit_log SET details = '{\"owner\":\"someone-else\"}' WHERE seq = ?",
                    arguments: [target])
                return target
            case .editDetailsAndRehashEntry:
                // The attacker recomputes the edited entry's own hash; the next entry still links to the old one.
                try Self.rewrite(db, from: target, through: target) { $0.actor = "asp:innocent" }
                return target + 1
            case .rewriteChainTail:
                // Every hash after the edit recomputed, but the recorded head still holds the old last hash.
                try Self.rewrite(db, from: target, through: last) { $0.actor = "asp:innocent" }
                return last
            case .deleteMiddle:
                try db.execute(sql: "DELETE FROM audit_log WHERE seq = ?", arguments: [target])
                return target
            case .deleteLast:
                try db.execute(sql: "DELETE FROM audit_log WHERE seq = ?", arguments: [last])
                return last
            case .deleteLastTwo:
                try db.execute(sql: "DELETE FROM audit_log WHERE seq >= ?", arguments: [last - 1])
                return last
            case .reorderTwo:
                try db.execute(sql: "UPDATE audit_log SET seq = -1 WHERE seq = ?", arguments: [target])
                try db.execute(sql: "UPDATE audit_log SET seq = ? WHERE seq = ?", arguments: [target, target + 1])
                try db.execute(sql: "UPDATE audit_log SET seq = ? WHERE seq = -1", arguments: [target + 1])
                return target
            case .insertForged:
                // Shift the tail up by one and slip a forged, self-consistent entry in at `target`.
                try db.execute(sql: "UPDATE audit_log SET seq = -seq WHERE seq >= ?", arguments: [target])
                try db.execute(sql: "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
                let previous =
                    try String.fetchOne(
                        db, sql: "SELECT hash FROM audit_log WHERE seq = ?", arguments: [target - 1]) ?? ""
                let forged = AuditEntry.chained(
                    AuditDraft(
                        at: Date(timeIntervalSince1970: 1_800_000_000), actor: "operator", action: "asp.create",
                        target: "asp:forged"),
                    sequence: target, previousHash: previous)
                try db.execute(
                    sql: """
                        INSERT INTO audit_log(seq, at, actor, action, target, details, previous_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        forged.sequence, Int64((forged.at.timeIntervalSince1970 * 1000).rounded()), forged.actor,
                        forged.action, forged.target, forged.details, forged.previousHash, forged.hash,
                    ])
                return target + 1
            }
        }
        let verification = try await world.registry.verifyAudit()
        #expect(!verification.isIntact, "\(attack) went unnoticed")
        let problem = verification.problem ?? ""
        #expect(problem.contains("entry \(named)"), "\(attack): problem must name entry \(named): \(problem)")
        #expect(verification.entriesChecked < last || attack == .rewriteChainTail)
    }

    /// Rewrites entries `from...through`, applying `edit` to the first and re-chaining every one of them.
    static func rewrite(_ db: Database, from: Int64, through: Int64, edit: (inout AuditEntry) -> Void) throws {
        var previous =
            try String.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE seq = ?", arguments: [from - 1])
            ?? AuditEntry.genesisHash
        for sequence in from...through {
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM audit_log WHERE seq = ?", arguments: [sequence])
            else { continue }
            let millis: Int64 = row["at"]
            var entry = AuditEntry(
                sequence: sequence, at: Date(timeIntervalSince1970: Double(millis) / 1000), actor: row["actor"],
                action: row["action"], target: row["target"], details: row["details"], previousHash: previous,
                hash: "")
            if sequence == from { edit(&entry) }
            entry.hash = AuditEntry.computeHash(
                sequence: sequence, at: entry.at, actor: entry.actor, action: entry.action, target: entry.target,
                details: entry.details, previousHash: previous)
            try db.execute(
                sql: "UPDATE audit_log SET actor = ?, previous_hash = ?, hash = ? WHERE seq = ?",
                arguments: [entry.actor, entry.previousHash, entry.hash, sequence])
            previous = entry.hash
        }
    }

    /// Verification reads the chain a page at a time; page boundaries neither hide nor invent a problem.
    @Test(arguments: [1, 2, 3, 7, 1000])
    func verificationIsIndependentOfThePageSize(_ pageSize: Int) async throws {
        let (world, directory, path) = try await Self.populated()
        defer { try? FileManager.default.removeItem(at: directory) }
        let total = try await world.store.auditHead().sequence
        let intact = try await world.registry.verifyAudit(pageSize: pageSize)
        #expect(intact.isIntact)
        #expect(intact.entriesChecked == total)
        let attacker = try DatabaseQueue(path: path)
        try await attacker.write { db in
            try Self.dropTriggers(db)
            try db.execute(sql: "DELETE FROM audit_log WHERE seq = 6")
        }
        let broken = try await world.registry.verifyAudit(pageSize: pageSize)
        #expect(broken.problem?.contains("entry 6") == true, "\(broken.problem ?? "")")
        #expect(broken.entriesChecked == 5)
    }

    /// The same attack with the real `sqlite3` shell, as an operator with file access would do it.
    @Test(.enabled(if: PeerTool.isAvailable("sqlite3")))
    func tamperingWithTheSQLiteShellIsDetected() async throws {
        let (world, directory, path) = try await Self.populated()
        defer { try? FileManager.default.removeItem(at: directory) }
        let refused = try PeerTool.run("sqlite3", [path, "UPDATE audit_log SET actor = 'x' WHERE seq = 4;"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("append-only"))
        #expect(try await world.registry.verifyAudit().isIntact)
        let result = try PeerTool.run(
            "sqlite3",
            [
                path,
                "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'x' WHERE seq = 4;",
            ])
        #expect(result.status == 0, "\(result.output)")
        let verification = try await world.registry.verifyAudit()
        #expect(!verification.isIntact)
        #expect(verification.problem?.contains("entry 4") == true, "\(verification.problem ?? "")")
    }
}
