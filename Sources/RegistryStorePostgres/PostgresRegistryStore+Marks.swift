import Foundation
import PostgresNIO

extension PostgresRegistryStore {
    /// A named mark in the `counters` table, nil when never set: state that every node must see, such as the last
    /// SOA serial the DNS signer published and the outbox position its zone reflects.
    public func mark(_ name: String) async throws -> Int64? {
        try await rows("SELECT value FROM counters WHERE name = \(name)").first?["value"].decode(Int64.self)
    }

    /// Raises named marks to at least the given values, in one statement; never lowers one, so a node that lost
    /// its role and writes late cannot move a mark back.
    public func raiseMarks(_ marks: [String: Int64]) async throws {
        guard !marks.isEmpty else { return }
        let names = Array(marks.keys)
        let values = names.map { marks[$0] ?? 0 }
        _ = try await rows(
            """
            INSERT INTO counters(name, value) SELECT * FROM unnest(\(names)::text[], \(values)::bigint[])
            ON CONFLICT (name) DO UPDATE SET value = GREATEST(counters.value, EXCLUDED.value)
            """)
    }
}
