public import Foundation
import GRDB
public import RegistryCore

extension SQLiteRegistryStore {
    // MARK: - tenants

    public func principal(tokenHash: String) async throws -> Principal? {
        try await database.read { db in
            guard
                let row = try Row.fetchOne(
                    try db.cachedStatement(sql: "SELECT role, tenant_id FROM tokens WHERE hash = ?"),
                    arguments: [tokenHash])
            else { return nil }
            let role: String = row["role"]
            let tenant: String? = row["tenant_id"]
            switch (role, tenant) {
            case ("operator", _): return .registryOperator
            case ("asp", .some(let id)): return .asp(id)
            case ("owner", .some(let id)): return .owner(id)
            case ("mno", .some(let id)): return .mno(id)
            default: return nil
            }
        }
    }

    public func asp(id: String) async throws -> ASP? {
        try await database.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM asps WHERE id = ?"), arguments: [id]).map(
                Self.asp(from:))
        }
    }

    public func asps(after cursor: String?, limit: Int) async throws -> [ASP] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM asps WHERE id > ? ORDER BY id LIMIT ?", arguments: [cursor ?? "", limit]
            ).map(Self.asp(from:))
        }
    }

    public func namedTenant(id: String) async throws -> NamedTenant? {
        try await database.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM tenants WHERE id = ?"), arguments: [id]).flatMap
            { row in
                guard let kind = TenantKind(rawValue: row["kind"]) else { return nil }
                return NamedTenant(
                    id: row["id"], kind: kind, name: row["name"], createdAt: Date(millis: row["created_at"]))
            }
        }
    }

    public func clientCertificates(aspID: String) async throws -> [ClientCertificate] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM client_certificates WHERE asp_id = ? ORDER BY created_at", arguments: [aspID]
            ).map { row in
                ClientCertificate(
                    aspID: row["asp_id"], sha256: row["sha256"], pem: row["pem"],
                    createdAt: Date(millis: row["created_at"]))
            }
        }
    }

    // MARK: - devices

    public func device(eid: EID) async throws -> Device? {
        try await database.read { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT * FROM devices WHERE eid = ?"), arguments: [eid.digits]
            )
            .map(Self.device(from:))
        }
    }

    public func devices(eids: [EID]) async throws -> [EID: Device] {
        guard !eids.isEmpty else { return [:] }
        return try await database.read { db in
            var found: [EID: Device] = [:]
            // SQLite caps bound parameters; query in chunks.
            for start in stride(from: 0, to: eids.count, by: 500) {
                let chunk = eids[start..<min(start + 500, eids.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM devices WHERE eid IN (\(marks))",
                    arguments: StatementArguments(chunk.map(\.digits)))
                for row in rows {
                    let device = try Self.device(from: row)
                    found[device.eid] = device
                }
            }
            return found
        }
    }

    public func devices(matching query: DeviceQuery) async throws -> [Device] {
        var clauses = ["eid > ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [query.after ?? ""]
        if let asp = query.aspID {
            clauses.append("asp_id = ?")
            arguments.append(asp)
        }
        if let owner = query.ownerID {
            clauses.append("owner_id = ?")
            arguments.append(owner)
        }
        if let mno = query.mnoID {
            clauses.append("mno_id = ?")
            arguments.append(mno)
        }
        if let state = query.state {
            clauses.append("state = ?")
            arguments.append(state.rawValue)
        } else if !query.includeDeleted {
            clauses.append("state <> 'deleted'")
        }
        arguments.append(query.limit)
        let sql = "SELECT * FROM devices WHERE \(clauses.joined(separator: " AND ")) ORDER BY eid LIMIT ?"
        let bound = StatementArguments(arguments)
        return try await database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.device(from:))
        }
    }

    public func profiles(eid: EID) async throws -> [Profile] {
        try await database.read { db in
            try Row.fetchAll(
                try db.cachedStatement(sql: "SELECT * FROM profiles WHERE eid = ? ORDER BY rpid"),
                arguments: [eid.digits]
            )
            .map { row in
                Profile(
                    rpid: row["rpid"], eid: try EID(row["eid"]), aspID: row["asp_id"],
                    status: Profile.Status(rawValue: row["status"]) ?? .revoked,
                    createdAt: Date(millis: row["created_at"]),
                    revokedAt: (row["revoked_at"] as Int64?).map(Date.init(millis:)),
                    revocationReason: row["revocation_reason"])
            }
        }
    }

    public func allocateRPIDs(count: Int) async throws -> [Int64] {
        precondition(count > 0)
        return try await database.write { db in
            try db.execute(sql: "UPDATE counters SET value = value + ? WHERE name = 'rpid'", arguments: [count])
            let last = try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'rpid'") ?? 0
            return Array((last - Int64(count) + 1)...last)
        }
    }

    public func devicesWithDueTransfers(at time: Date, limit: Int) async throws -> [Device] {
        try await database.read { db in
            try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT * FROM devices WHERE state = 'transfer-pending' AND pending_auto_approve_at <= ?
                        ORDER BY pending_auto_approve_at LIMIT ?
                        """),
                arguments: [time.millis, limit]
            ).map(Self.device(from:))
        }
    }

    // MARK: - transfer codes

    public func transferCodeUse(codeHash: String, eid: EID) async throws -> TransferCodeUse? {
        try await database.read { db in
            try Row.fetchOne(
                try db.cachedStatement(
                    sql: """
                        SELECT c.hash, c.owner_id, c.expires_at, d.eid, d.used_at
                        FROM transfer_code_devices d JOIN transfer_codes c ON c.hash = d.hash
                        WHERE d.hash = ? AND d.eid = ?
                        """),
                arguments: [codeHash, eid.digits]
            ).map { row in
                TransferCodeUse(
                    codeHash: row["hash"], ownerID: row["owner_id"], eid: eid,
                    expiresAt: Date(millis: row["expires_at"]),
                    usedAt: (row["used_at"] as Int64?).map(Date.init(millis:)))
            }
        }
    }

    public func transferCodeUses(codeHash: String, eids: [EID]) async throws -> [EID: TransferCodeUse] {
        try await database.read { db in
            var found: [EID: TransferCodeUse] = [:]
            try Self.forEachChunk(of: eids) { marks, digits in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT c.hash, c.owner_id, c.expires_at, d.eid, d.used_at
                        FROM transfer_code_devices d JOIN transfer_codes c ON c.hash = d.hash
                        WHERE d.hash = ? AND d.eid IN (\(marks))
                        """,
                    arguments: StatementArguments([codeHash] + digits))
                for row in rows {
                    let eid = try EID(row["eid"] as String)
                    found[eid] = TransferCodeUse(
                        codeHash: row["hash"], ownerID: row["owner_id"], eid: eid,
                        expiresAt: Date(millis: row["expires_at"]),
                        usedAt: (row["used_at"] as Int64?).map(Date.init(millis:)))
                }
            }
            return found
        }
    }

    // MARK: - jobs

    public func job(id: String) async throws -> Job? {
        try await database.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id]).flatMap(
                Self.job(from:))
        }
    }

    public func jobItems(jobID: String, after index: Int, limit: Int) async throws -> [JobItem] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM job_items WHERE job_id = ? AND idx > ? ORDER BY idx LIMIT ?",
                arguments: [jobID, index, limit]
            ).map(Self.jobItem(from:))
        }
    }

    public func pendingJobItems(jobID: String, limit: Int) async throws -> [JobItem] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM job_items WHERE job_id = ? AND status = 'pending' ORDER BY idx LIMIT ?",
                arguments: [jobID, limit]
            ).map(Self.jobItem(from:))
        }
    }

    public func unfinishedJobs() async throws -> [Job] {
        try await database.read { db in
            try Row.fetchAll(
                try db.cachedStatement(sql: "SELECT * FROM jobs WHERE status <> 'completed' ORDER BY created_at")
            )
            .compactMap(Self.job(from:))
        }
    }

    // MARK: - audit and outbox

    public func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit]
            ).map { row in
                AuditEntry(
                    sequence: row["seq"], at: Date(millis: row["at"]), actor: row["actor"], action: row["action"],
                    target: row["target"], details: row["details"], previousHash: row["previous_hash"],
                    hash: row["hash"])
            }
        }
    }

    public func auditHead() async throws -> (sequence: Int64, hash: String) {
        try await database.read { db in
            guard
                let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE id = 1"))
            else {
                return (0, AuditEntry.genesisHash)
            }
            return (row["seq"], row["hash"])
        }
    }

    public func outboxEvents(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit]
            ).map(Self.outboxEvent(from:))
        }
    }

    public func latestOutboxSequence() async throws -> Int64 {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM outbox") ?? 0
        }
    }

    // MARK: - certificates

    public func certificate(serial: String) async throws -> CertificateRecord? {
        try await database.read { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT * FROM certificates WHERE serial = ?"), arguments: [serial]
            )
            .map(Self.certificate(from:))
        }
    }

    public func currentCertificate(eid: EID) async throws -> CertificateRecord? {
        try await database.read { db in
            try Row.fetchOne(
                try db.cachedStatement(
                    sql: """
                        SELECT * FROM certificates WHERE eid = ? AND status = 'good' ORDER BY issued_seq DESC LIMIT 1
                        """),
                arguments: [eid.digits]
            ).map(Self.certificate(from:))
        }
    }

    public func profileIDs(eids: [EID]) async throws -> [EID: [Int64]] {
        try await database.read { db in
            var found: [EID: [Int64]] = [:]
            try Self.forEachChunk(of: eids) { marks, digits in
                let rows = try Row.fetchAll(
                    db, sql: "SELECT eid, rpid FROM profiles WHERE eid IN (\(marks)) ORDER BY eid, rpid",
                    arguments: StatementArguments(digits))
                for row in rows { found[try EID(row["eid"]), default: []].append(row["rpid"]) }
            }
            return found
        }
    }

    public func currentCertificates(eids: [EID]) async throws -> [EID: CertificateRecord] {
        try await database.read { db in
            var found: [EID: CertificateRecord] = [:]
            try Self.forEachChunk(of: eids) { marks, digits in
                // Oldest first per device, so the newest one is the last written.
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM certificates WHERE eid IN (\(marks)) AND status = 'good'
                        ORDER BY eid, issued_seq
                        """,
                    arguments: StatementArguments(digits))
                for row in rows {
                    let record = try Self.certificate(from: row)
                    found[record.eid] = record
                }
            }
            return found
        }
    }

    public func revokedCertificates(issuerKeyID: String) async throws -> [CertificateRecord] {
        try await database.read { db in
            try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT * FROM certificates WHERE issuer_key_id = ? AND status = 'revoked'
                        ORDER BY revoked_at, serial
                        """),
                arguments: [issuerKeyID]
            ).map(Self.certificate(from:))
        }
    }

    // MARK: - row mapping

    static func outboxEvent(from row: Row) throws -> OutboxEvent {
        OutboxEvent(
            sequence: row["seq"], at: Date(millis: row["at"]), kind: OutboxEvent.Kind(rawValue: row["kind"]),
            eid: try (row["eid"] as String?).map(EID.init), aspID: row["asp_id"], rpid: row["rpid"],
            previousRPID: row["previous_rpid"], previousASPID: row["previous_asp_id"], serial: row["serial"])
    }

    static func certificate(from row: Row) throws -> CertificateRecord {
        guard let status = CertificateRecord.Status(rawValue: row["status"]) else {
            throw RegistryError(.unavailable, "certificate row has unknown status")
        }
        let der: Data = row["der"]
        return CertificateRecord(
            serial: row["serial"], eid: try EID(row["eid"]), rpid: row["rpid"], issuerKeyID: row["issuer_key_id"],
            spkiSHA256: row["spki_sha256"], der: Array(der), notBefore: Date(millis: row["not_before"]),
            notAfter: Date(millis: row["not_after"]),
            status: status, revokedAt: (row["revoked_at"] as Int64?).map(Date.init(millis:)), reason: row["reason"])
    }

    static func asp(from row: Row) -> ASP {
        ASP(
            id: row["id"], name: row["name"], fqdn: row["fqdn"], port: row["port"], url: row["url"],
            transportProtocol: row["protocol"], serverCertificatePEM: row["server_certificate_pem"],
            createdAt: Date(millis: row["created_at"]))
    }

    static func device(from row: Row) throws -> Device {
        var pending: PendingTransfer?
        if let gaining: String = row["pending_gaining_asp"] {
            pending = PendingTransfer(
                gainingASPID: gaining, requestedAt: Date(millis: row["pending_requested_at"] ?? 0),
                autoApproveAt: Date(millis: row["pending_auto_approve_at"] ?? 0))
        }
        guard let state = DeviceState(rawValue: row["state"]) else {
            throw RegistryError(.unavailable, "device row has unknown state '\(row["state"] as String? ?? "")'")
        }
        return Device(
            eid: try EID(row["eid"]), iccid: try ICCID(row["iccid"]), ownerID: row["owner_id"],
            aspID: row["asp_id"], mnoID: row["mno_id"], state: state, rpid: row["rpid"], model: row["model"],
            serial: row["serial"], firmwareVersion: row["firmware_version"], mudURL: row["mud_url"],
            pendingTransfer: pending, mnoStatus: row["mno_status"], createdAt: Date(millis: row["created_at"]),
            updatedAt: Date(millis: row["updated_at"]), version: row["version"])
    }

    static func job(from row: Row) -> Job? {
        guard let operation = JobOperation(rawValue: row["operation"]), let status = Job.Status(rawValue: row["status"])
        else { return nil }
        return Job(
            id: row["id"], submitter: row["submitter"], operation: operation, status: status, total: row["total"],
            processed: row["processed"], succeeded: row["succeeded"], failed: row["failed"],
            createdAt: Date(millis: row["created_at"]), updatedAt: Date(millis: row["updated_at"]),
            finishedAt: (row["finished_at"] as Int64?).map(Date.init(millis:)))
    }

    static func jobItem(from row: Row) -> JobItem {
        JobItem(
            jobID: row["job_id"], index: row["idx"],
            input: JobItemInput(
                eid: row["eid"], iccid: row["iccid"], owner: row["owner"], mno: row["mno"], model: row["model"],
                serial: row["serial"], firmwareVersion: row["firmware_version"], mudURL: row["mud_url"],
                authCodeHash: row["auth_code_hash"]),
            status: JobItem.Status(rawValue: row["status"]) ?? .pending, errorCode: row["error_code"],
            message: row["message"])
    }

    /// Runs `body` for each run of at most 500 EIDs, with its `?,?,…` placeholders and the EIDs' digits: one
    /// statement per run keeps under SQLite's bound-parameter limit.
    static func forEachChunk(of eids: [EID], _ body: (_ marks: String, _ digits: [String]) throws -> Void) rethrows {
        for start in stride(from: 0, to: eids.count, by: 500) {
            let chunk = eids[start..<min(start + 500, eids.count)]
            try body(Array(repeating: "?", count: chunk.count).joined(separator: ","), chunk.map(\.digits))
        }
    }
}
