import Foundation
import RunLedgerCore
import RunLedgerStore

/// The executor's `workflow_runs` table in PostgreSQL (§5a: `cost_estimate DECIMAL`, `metadata
/// JSONB`), read through libpq in a read-only session; the same reports as `ExecutorDatabase`.
public final class ExecutorPostgres: ExecutorReportReader {
    private let connection: PostgresConnection

    public init(_ address: PostgresAddress) throws {
        connection = try PostgresConnection(address)
        // A pooler or server that dropped the startup option would leave the session writable: refuse.
        guard try connection.query("SHOW transaction_read_only").first?.first == "on" else {
            throw connection.failure("the session is not read-only (the server ignored default_transaction_read_only)")
        }
        // The table `FROM workflow_runs` resolves to (search_path), and the columns of it the role may
        // read: information_schema lists only those, so a role without SELECT sees none.
        let table = try connection.query("SELECT to_regclass('workflow_runs')::text").first?.first ?? nil
        guard table != nil else {
            throw connection.failure("not the executor's database (no workflow_runs table)")
        }
        let rows = try connection.query(
            """
            SELECT c.column_name::text FROM information_schema.columns c
            JOIN pg_class t ON t.oid = to_regclass('workflow_runs')
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE c.table_schema = n.nspname AND c.table_name = t.relname
            """)
        let columns = Set(rows.compactMap { $0.first ?? nil })
        guard !columns.isEmpty else {
            throw connection.failure("this role may not read workflow_runs (GRANT SELECT ON workflow_runs TO it)")
        }
        let lacking = ExecutorRow.neededColumns.subtracting(columns)
        guard lacking.isEmpty else {
            throw connection.failure(
                "not the executor's database (workflow_runs lacks \(lacking.sorted().joined(separator: ", ")))")
        }
    }

    public func reports(for runIds: [String]) throws -> [String: Report] {
        var out: [String: Report] = [:]
        for chunk in stride(from: 0, to: runIds.count, by: 1000) {
            let ids = Array(runIds[chunk..<min(runIds.count, chunk + 1000)])
            // The ids travel as one text[] parameter, never inside the SQL. Casting to text reads a
            // NUMERIC cost exactly and a JSON, JSONB or text `metadata` alike.
            let rows = try connection.query(
                """
                SELECT run_id::text, cost_estimate::text, total_tokens::text, metadata::text FROM workflow_runs
                WHERE status IN ('completed', 'failed', 'killed') AND run_id = ANY($1::text[])
                """, [Self.arrayLiteral(ids)])
            for row in rows {
                guard let id = row[0] else { continue }
                out[id] = ExecutorRow.report(
                    cost: row[1], totalTokens: row[2].flatMap { Int64($0) ?? Double($0).map { Int64($0) } },
                    metadata: row[3])
            }
        }
        return out
    }

    /// PostgreSQL's text form of a `text[]`: each element quoted, `"` and `\` escaped.
    static func arrayLiteral(_ values: [String]) -> String {
        let quoted = values.map {
            "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
