public import Foundation
import Crypto

/// One entry of the append-only, hash-chained audit log.
///
/// Each entry carries the SHA-256 of the one before, so editing or deleting any entry breaks every hash after it;
/// the store also keeps the chain head (last sequence and hash) in the same transaction, so cutting entries off the
/// end is detected too.
public struct AuditEntry: Codable, Hashable, Sendable {
    public var sequence: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var target: String
    public var details: String
    public var previousHash: String
    public var hash: String

    public init(
        sequence: Int64, at: Date, actor: String, action: String, target: String, details: String,
        previousHash: String, hash: String
    ) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The hash of the empty chain's "previous entry".
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Chains a draft after `previousHash` as entry `sequence`.
    public static func chained(_ draft: AuditDraft, sequence: Int64, previousHash: String) -> AuditEntry {
        let hash = computeHash(
            sequence: sequence, at: draft.at, actor: draft.actor, action: draft.action, target: draft.target,
            details: draft.details, previousHash: previousHash)
        return AuditEntry(
            sequence: sequence, at: draft.at, actor: draft.actor, action: draft.action, target: draft.target,
            details: draft.details, previousHash: previousHash, hash: hash)
    }

    /// SHA-256 over the previous hash and every field, length-prefixed so no two entries serialise alike.
    public static func computeHash(
        sequence: Int64, at: Date, actor: String, action: String, target: String, details: String,
        previousHash: String
    ) -> String {
        var hasher = SHA256()
        let millis = Int64((at.timeIntervalSince1970 * 1000).rounded())
        for field in [previousHash, String(sequence), String(millis), actor, action, target, details] {
            let bytes = Array(field.utf8)
            var length = UInt32(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        return hasher.finalize().hexString
    }

    /// Whether this entry's hash matches its content.
    public var isSelfConsistent: Bool {
        hash
            == Self.computeHash(
                sequence: sequence, at: at, actor: actor, action: action, target: target, details: details,
                previousHash: previousHash)
    }
}

/// An audit entry before the store chains it.
public struct AuditDraft: Codable, Hashable, Sendable {
    public var at: Date
    public var actor: String
    public var action: String
    public var target: String
    /// Compact JSON with what changed; never a secret.
    public var details: String

    public init(at: Date, actor: String, action: String, target: String, details: String = "{}") {
        // Millisecond precision is what every store keeps; round here so the hash survives a round trip.
        self.at = Date(timeIntervalSince1970: (at.timeIntervalSince1970 * 1000).rounded() / 1000)
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
    }
}

/// The outcome of checking the chain.
public struct AuditVerification: Sendable, Equatable {
    public var entriesChecked: Int64
    /// nil when intact; otherwise what is wrong and where.
    public var problem: String?

    public var isIntact: Bool { problem == nil }

    public init(entriesChecked: Int64, problem: String?) {
        self.entriesChecked = entriesChecked
        self.problem = problem
    }
}
