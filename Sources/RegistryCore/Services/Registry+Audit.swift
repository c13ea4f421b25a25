extension Registry {
    /// Walks the whole audit chain and checks every link and the recorded head.
    ///
    /// An edited entry breaks its own hash, a deleted or inserted one breaks the next entry's link or the sequence,
    /// and a cut-off tail no longer reaches the head recorded with the last write.
    ///
    /// The head is read first: every entry up to it was committed with it, so the walk stops there. Entries that a
    /// node still running appends meanwhile are left for the next check. (Read last, a head written during the walk
    /// made a live registry's chain look cut off.)
    public func verifyAudit(pageSize: Int = 10_000) async throws -> AuditVerification {
        let head = try await store.auditHead()
        var previousHash = AuditEntry.genesisHash
        var expected: Int64 = 1
        var checked: Int64 = 0
        walk: while expected <= head.sequence {
            let limit = Int(min(Int64(pageSize), head.sequence - expected + 1))
            let page = try await store.auditEntries(after: expected - 1, limit: limit)
            if page.isEmpty { break }
            for entry in page {
                // Past the head, with entries before it missing: the check below reports where the chain ends.
                if entry.sequence > head.sequence { break walk }
                if entry.sequence != expected {
                    return AuditVerification(
                        entriesChecked: checked,
                        problem: "entry \(expected) is missing (next present is \(entry.sequence))")
                }
                if entry.previousHash != previousHash {
                    return AuditVerification(
                        entriesChecked: checked,
                        problem: "entry \(entry.sequence) does not link to entry \(entry.sequence - 1)")
                }
                if !entry.isSelfConsistent {
                    return AuditVerification(
                        entriesChecked: checked, problem: "entry \(entry.sequence) was modified (hash mismatch)")
                }
                previousHash = entry.hash
                expected += 1
                checked += 1
            }
        }
        if head.sequence != checked || (checked > 0 && head.hash != previousHash) {
            return AuditVerification(
                entriesChecked: checked,
                problem: "the chain ends at entry \(checked) but the recorded head is entry \(head.sequence)")
        }
        return AuditVerification(entriesChecked: checked, problem: nil)
    }
}
