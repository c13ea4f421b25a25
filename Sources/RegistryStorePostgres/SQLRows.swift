import NIOCore
import PostgresNIO

/// A value bound to a statement parameter: the store's columns are only text and 64-bit integers.
enum SQLValue: Sendable {
    case text(String?)
    case integer(Int64?)
    case bytes([UInt8])

    static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }

    /// The parameter's explicit type, for `VALUES` lists whose column types PostgreSQL cannot infer.
    var cast: String {
        switch self {
        case .text: "text"
        case .integer: "bigint"
        case .bytes: "bytea"
        }
    }

    func append(to bindings: inout PostgresBindings) {
        switch self {
        case .text(let value): bindings.append(value)
        case .integer(let value): bindings.append(value)
        case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
        }
    }
}

/// Builds `VALUES ($1, $2), ($3, $4), ...` statements of many rows, to write a batch in a few round trips.
///
/// A statement takes at most 65,535 parameters; ``chunks(of:rowsPerStatement:)`` keeps well under.
struct SQLRows {
    /// Splits `rows` into statements of at most `rowsPerStatement` rows: `prefix` + VALUES list + `suffix`.
    static func statements(
        prefix: String, rows: [[SQLValue]], suffix: String = "", casts: Bool = false, rowsPerStatement: Int = 1000
    ) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        var start = 0
        while start < rows.count {
            let end = min(start + rowsPerStatement, rows.count)
            var bindings = PostgresBindings(capacity: (end - start) * (rows[start].count))
            var sql = prefix
            var parameter = 0
            for (offset, row) in rows[start..<end].enumerated() {
                sql += offset == 0 ? "(" : ", ("
                for (column, value) in row.enumerated() {
                    parameter += 1
                    if column > 0 { sql += ", " }
                    sql += casts ? "$\(parameter)::\(value.cast)" : "$\(parameter)"
                    value.append(to: &bindings)
                }
                sql += ")"
            }
            sql += suffix
            queries.append(PostgresQuery(unsafeSQL: sql, binds: bindings))
            start = end
        }
        return queries
    }
}
