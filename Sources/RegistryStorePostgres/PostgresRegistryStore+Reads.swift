public import Foundation
import NIOCore
import PostgresNIO
public import RegistryCore

extension PostgresRegistryStore {
    // MARK: - tenants

    public func principal(tokenHash: String) async throws -> Principal? {
        guard let row = try await rows("SELECT role, tenant_id FROM tokens WHERE hash = \(tokenHash)").first else {
            return nil
        }
        let role = try row["role"].decode(String.self)
        let tenant = try row["tenant_id"].decode(String?.self)
        switch (role, tenant) {
        case ("operator", _): return .registryOperator
        case ("asp", .some(let id)): return .asp(id)
        case ("owner", .some(let id)): return .owner(id)
        case ("mno", .some(let id)): return .mno(id)
        default: return nil
        }
    }

    public func asp(id: String) async throws -> ASP? {
        try await rows("SELECT * FROM asps WHERE id = \(id)").first.map(Self.asp(from:))
    }

    public func asps(after cursor: String?, limit: Int) async throws -> [ASP] {
        try await rows("SELECT * FROM asps WHERE id > \(cursor ?? "") ORDER BY id LIMIT \(Int64(limit))")
            .map(Self.asp(from:))
    }

    public func namedTenant(id: String) async throws -> NamedTenant? {
        guard let row = try await rows("SELECT * FROM tenants WHERE id = \(id)").first,
            let kind = TenantKind(rawValue: try row["kind"].decode(String.self))
        else { return nil }
        return NamedTenant(
            id: try row["id"].decode(String.self), kind: kind, name: try row["name"].decode(String.self),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)))
    }

    public func clientCertificates(aspID: String) async throws -> [ClientCertificate] {
        try await rows("SELECT * FROM client_certificates WHERE asp_id = \(aspID) ORDER BY created_at").map { row in
            ClientCertificate(
                aspID: try row["asp_id"].decode(String.self), sha256: try row["sha256"].decode(String.self),
                pem: try row["pem"].decode(String.self),
                createdAt: Date(millis: try row["created_at"].decode(Int64.self)))
        }
    }

    // MARK: - devices

    public func device(eid: EID) async throws -> Device? {
        try await rows("SELECT * FROM devices WHERE eid = \(eid.digits)").first.map(Self.device(from:))
    }

    public func devices(eids: [EID]) async throws -> [EID: Device] {
        guard !eids.isEmpty else { return [:] }
        var found: [EID: Device] = [:]
        for start in stride(from: 0, to: eids.count, by: 5000) {
            let chunk = eids[start..<min(start + 5000, eids.count)].map(\.digits)
            for row in try await rows("SELECT * FROM devices WHERE eid = ANY(\(chunk))") {
                let device = try Self.device(from: row)
                found[device.eid] = device
            }
        }
        return found
    }

    public func devices(matching query: DeviceQuery) async throws -> [Device] {
        var bindings = PostgresBindings()
        var clauses: [String] = []
        func bind(_ clause: String, _ value: String) {
            bindings.append(value)
            clauses.append(clause.replacingOccurrences(of: "?", with: "$\(bindings.count)"))
        }
        bind("eid > ?", query.after ?? "")
        if let asp = query.aspID { bind("asp_id = ?", asp) }
        if let owner = query.ownerID { bind("owner_id = ?", owner) }
        if let mno = query.mnoID { bind("mno_id = ?", mno) }
        if let state = query.state {
            bind("state = ?", state.rawValue)
        } else if !query.includeDeleted {
            clauses.append("state <> 'deleted'")
        }
        bindings.append(Int64(query.limit))
        let sql =
            "SELECT * FROM devices WHERE \(clauses.joined(separator: " AND ")) ORDER BY eid LIMIT $\(bindings.count)"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Self.device(from:))
    }

    public func profiles(eid: EID) async throws -> [Profile] {
        try await rows("SELECT * FROM profiles WHERE eid = \(eid.digits) ORDER BY rpid").map { row in
            Profile(
                rpid: try row["rpid"].decode(Int64.self), eid: try EID(try row["eid"].decode(String.self)),
                aspID: try row["asp_id"].decode(String.self),
                status: Profile.Status(rawValue: try row["status"].decode(String.self)) ?? .revoked,
                createdAt: Date(millis: try row["created_at"].decode(Int64.self)),
                revokedAt: try row["revoked_at"].decode(Int64?.self).map(Date.init(millis:)),
                revocationReason: try row["revocation_reason"].decode(String?.self))
        }
    }

    public func allocateRPIDs(count: Int) async throws -> [Int64] {
        precondition(count > 0)
        let rows = try await rows(
            "UPDATE counters SET value = value + \(Int64(count)) WHERE name = 'rpid' RETURNING value")
        let last = try rows.first?["value"].decode(Int64.self) ?? 0
        return Array((last - Int64(count) + 1)...last)
    }

    public func devicesWithDueTransfers(at time: Date, limit: Int) async throws -> [Device] {
        try await rows(
            """
            SELECT * FROM devices WHERE state = 'transfer-pending' AND pending_auto_approve_at <= \(time.millis)
            ORDER BY pending_auto_approve_at LIMIT \(Int64(limit))
            """
        ).map(Self.device(from:))
    }

    // MARK: - transfer codes

    public func transferCodeUse(codeHash: String, eid: EID) async throws -> TransferCodeUse? {
        try await rows(
            """
            SELECT c.hash, c.owner_id, c.expires_at, d.eid, d.used_at
            FROM transfer_code_devices d JOIN transfer_codes c ON c.hash = d.hash
            WHERE d.hash = \(codeHash) AND d.eid = \(eid.digits)
            """
        ).first.map { row in
            TransferCodeUse(
                codeHash: try row["hash"].decode(String.self), ownerID: try row["owner_id"].decode(String.self),
                eid: eid, expiresAt: Date(millis: try row["expires_at"].decode(Int64.self)),
                usedAt: try row["used_at"].decode(Int64?.self).map(Date.init(millis:)))
        }
    }

    public func transferCodeUses(codeHash: String, eids: [EID]) async throws -> [EID: TransferCodeUse] {
        var found: [EID: TransferCodeUse] = [:]
        for start in stride(from: 0, to: eids.count, by: 5000) {
            let chunk = eids[start..<min(start + 5000, eids.count)].map(\.digits)
            for row in try await rows(
                """
                SELECT c.hash, c.owner_id, c.expires_at, d.eid, d.used_at
                FROM transfer_code_devices d JOIN transfer_codes c ON c.hash = d.hash
                WHERE d.hash = \(codeHash) AND d.eid = ANY(\(chunk))
                """)
            {
                let eid = try EID(try row["eid"].decode(String.self))
                found[eid] = TransferCodeUse(
                    codeHash: try row["hash"].decode(String.self), ownerID: try row["owner_id"].decode(String.self),
                    eid: eid, expiresAt: Date(millis: try row["expires_at"].decode(Int64.self)),
                    usedAt: try row["used_at"].decode(Int64?.self).map(Date.init(millis:)))
            }
        }
        return found
    }

    // MARK: - certificates

    public func certificate(serial: String) async throws -> CertificateRecord? {
        try await rows("SELECT * FROM certificates WHERE serial = \(serial)").first.map(Self.certificate(from:))
    }

    public func currentCertificate(eid: EID) async throws -> CertificateRecord? {
        try await rows(
            """
            SELECT * FROM certificates WHERE eid = \(eid.digits) AND status = 'good' ORDER BY issued_seq DESC LIMIT 1
            """
        ).first.map(Self.certificate(from:))
    }

    public func profileIDs(eids: [EID]) async throws -> [EID: [Int64]] {
        var found: [EID: [Int64]] = [:]
        for start in stride(from: 0, to: eids.count, by: 5000) {
            let chunk = eids[start..<min(start + 5000, eids.count)].map(\.digits)
            for row in try await rows(
                "SELECT eid, rpid FROM profiles WHERE eid = ANY(\(chunk)) ORDER BY eid, rpid")
            {
                found[try EID(try row["eid"].decode(String.self)), default: []].append(
                    try row["rpid"].decode(Int64.self))
            }
        }
        return found
    }

    public func currentCertificates(eids: [EID]) async throws -> [EID: CertificateRecord] {
        var found: [EID: CertificateRecord] = [:]
        for start in stride(from: 0, to: eids.count, by: 5000) {
            let chunk = eids[start..<min(start + 5000, eids.count)].map(\.digits)
            for row in try await rows(
                """
                SELECT DISTINCT ON (eid) * FROM certificates WHERE eid = ANY(\(chunk)) AND status = 'good'
                ORDER BY eid, issued_seq DESC
                """)
            {
                let record = try Self.certificate(from: row)
                found[record.eid] = record
            }
        }
        return found
    }

    public func revokedCertificates(issuerKeyID: String) async throws -> [CertificateRecord] {
        try await rows(
            """
            SELECT * FROM certificates WHERE issuer_key_id = \(issuerKeyID) AND status = 'revoked'
            ORDER BY revoked_at, serial
            """
        ).map(Self.certificate(from:))
    }

    // MARK: - jobs

    public func job(id: String) async throws -> Job? {
        try await rows("SELECT * FROM jobs WHERE id = \(id)").first.flatMap(Self.job(from:))
    }

    public func jobItems(jobID: String, after index: Int, limit: Int) async throws -> [JobItem] {
        try await rows(
            """
            SELECT * FROM job_items WHERE job_id = \(jobID) AND idx > \(Int64(index)) ORDER BY idx
            LIMIT \(Int64(limit))
            """
        ).map(Self.jobItem(from:))
    }

    public func pendingJobItems(jobID: String, limit: Int) async throws -> [JobItem] {
        try await rows(
            """
            SELECT * FROM job_items WHERE job_id = \(jobID) AND status = 'pending' ORDER BY idx LIMIT \(Int64(limit))
            """
        ).map(Self.jobItem(from:))
    }

    public func unfinishedJobs() async throws -> [Job] {
        try await rows("SELECT * FROM jobs WHERE status <> 'completed' ORDER BY created_at, id")
            .compactMap(Self.job(from:))
    }

    // MARK: - audit and outbox

    public func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await rows("SELECT * FROM audit_log WHERE seq > \(sequence) ORDER BY seq LIMIT \(Int64(limit))").map {
            row in
            AuditEntry(
                sequence: try row["seq"].decode(Int64.self), at: Date(millis: try row["at"].decode(Int64.self)),
                actor: try row["actor"].decode(String.self), action: try row["action"].decode(String.self),
                target: try row["target"].decode(String.self), details: try row["details"].decode(String.self),
                previousHash: try row["previous_hash"].decode(String.self), hash: try row["hash"].decode(String.self))
        }
    }

    public func auditHead() async throws -> (sequence: Int64, hash: String) {
        guard let row = try await rows("SELECT seq, hash FROM audit_head WHERE id = 1").first else {
            return (0, AuditEntry.genesisHash)
        }
        return (try row["seq"].decode(Int64.self), try row["hash"].decode(String.self))
    }

    public func outboxEvents(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await rows("SELECT * FROM outbox WHERE seq > \(sequence) ORDER BY seq LIMIT \(Int64(limit))")
            .map(Self.outboxEvent(from:))
    }

    public func latestOutboxSequence() async throws -> Int64 {
        try await rows("SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox").first?["seq"].decode(Int64.self) ?? 0
    }

    // MARK: - row mapping

    static func asp(from row: PostgresRandomAccessRow) throws -> ASP {
        ASP(
            id: try row["id"].decode(String.self), name: try row["name"].decode(String.self),
            fqdn: try row["fqdn"].decode(String.self), port: Int(try row["port"].decode(Int64.self)),
            url: try row["url"].decode(String?.self), transportProtocol: try row["protocol"].decode(String.self),
            serverCertificatePEM: try row["server_certificate_pem"].decode(String?.self),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)))
    }

    static func device(from row: PostgresRandomAccessRow) throws -> Device {
        var pending: PendingTransfer?
        if let gaining = try row["pending_gaining_asp"].decode(String?.self) {
            pending = PendingTransfer(
                gainingASPID: gaining,
                requestedAt: Date(millis: try row["pending_requested_at"].decode(Int64?.self) ?? 0),
                autoApproveAt: Date(millis: try row["pending_auto_approve_at"].decode(Int64?.self) ?? 0))
        }
        let stateText = try row["state"].decode(String.self)
        guard let state = DeviceState(rawValue: stateText) else {
            throw RegistryError(.unavailable, "device row has unknown state '\(stateText)'")
        }
        return Device(
            eid: try EID(try row["eid"].decode(String.self)), iccid: try ICCID(try row["iccid"].decode(String.self)),
            ownerID: try row["owner_id"].decode(String.self), aspID: try row["asp_id"].decode(String.self),
            mnoID: try row["mno_id"].decode(String.self), state: state, rpid: try row["rpid"].decode(Int64?.self),
            model: try row["model"].decode(String?.self), serial: try row["serial"].decode(String?.self),
            firmwareVersion: try row["firmware_version"].decode(String?.self),
            mudURL: try row["mud_url"].decode(String?.self), pendingTransfer: pending,
            mnoStatus: try row["mno_status"].decode(String?.self),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)),
            updatedAt: Date(millis: try row["updated_at"].decode(Int64.self)),
            version: try row["version"].decode(Int64.self))
    }

    static func job(from row: PostgresRandomAccessRow) throws -> Job? {
        guard let operation = JobOperation(rawValue: try row["operation"].decode(String.self)),
            let status = Job.Status(rawValue: try row["status"].decode(String.self))
        else { return nil }
        return Job(
            id: try row["id"].decode(String.self), submitter: try row["submitter"].decode(String.self),
            operation: operation, status: status, total: Int(try row["total"].decode(Int64.self)),
            processed: Int(try row["processed"].decode(Int64.self)),
            succeeded: Int(try row["succeeded"].decode(Int64.self)), failed: Int(try row["failed"].decode(Int64.self)),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)),
            updatedAt: Date(millis: try row["updated_at"].decode(Int64.self)),
            finishedAt: try row["finished_at"].decode(Int64?.self).map(Date.init(millis:)))
    }

    static func jobItem(from row: PostgresRandomAccessRow) throws -> JobItem {
        JobItem(
            jobID: try row["job_id"].decode(String.self), index: Int(try row["idx"].decode(Int64.self)),
            input: JobItemInput(
                eid: try row["eid"].decode(String.self), iccid: try row["iccid"].decode(String?.self),
                owner: try row["owner"].decode(String?.self), mno: try row["mno"].decode(String?.self),
                model: try row["model"].decode(String?.self), serial: try row["serial"].decode(String?.self),
                firmwareVersion: try row["firmware_version"].decode(String?.self),
                mudURL: try row["mud_url"].decode(String?.self),
                authCodeHash: try row["auth_code_hash"].decode(String?.self)),
            status: JobItem.Status(rawValue: try row["status"].decode(String.self)) ?? .pending,
            errorCode: try row["error_code"].decode(String?.self), message: try row["message"].decode(String?.self))
    }

    static func certificate(from row: PostgresRandomAccessRow) throws -> CertificateRecord {
        let statusText = try row["status"].decode(String.self)
        guard let status = CertificateRecord.Status(rawValue: statusText) else {
            throw RegistryError(.unavailable, "certificate row has unknown status '\(statusText)'")
        }
        let der = try row["der"].decode(ByteBuffer.self)
        return CertificateRecord(
            serial: try row["serial"].decode(String.self), eid: try EID(try row["eid"].decode(String.self)),
            rpid: try row["rpid"].decode(Int64.self), issuerKeyID: try row["issuer_key_id"].decode(String.self),
            spkiSHA256: try row["spki_sha256"].decode(String.self), der: Array(der.readableBytesView),
            notBefore: Date(millis: try row["not_before"].decode(Int64.self)),
            notAfter: Date(millis: try row["not_after"].decode(Int64.self)), status: status,
            revokedAt: try row["revoked_at"].decode(Int64?.self).map(Date.init(millis:)),
            reason: try row["reason"].decode(Int64?.self).map { Int($0) })
    }

    static func outboxEvent(from row: PostgresRandomAccessRow) throws -> OutboxEvent {
        OutboxEvent(
            sequence: try row["seq"].decode(Int64.self), at: Date(millis: try row["at"].decode(Int64.self)),
            kind: OutboxEvent.Kind(rawValue: try row["kind"].decode(String.self)),
            eid: try row["eid"].decode(String?.self).map(EID.init), aspID: try row["asp_id"].decode(String?.self),
            rpid: try row["rpid"].decode(Int64?.self), previousRPID: try row["previous_rpid"].decode(Int64?.self),
            previousASPID: try row["previous_asp_id"].decode(String?.self),
            serial: try row["serial"].decode(String?.self))
    }
}
