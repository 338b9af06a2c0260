import Foundation
import RunLedgerCore
import RunLedgerStore

/// The executor's own `workflow_runs` table (shared/executor-log-formats.md §5a), opened read-only:
/// what the executor claims about each run, for reporting-mismatch detection.
public final class ExecutorDatabase {
    public let path: String
    private let db: SQLiteConnection

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError("\(path): no such executor database")
        }
        db = try SQLiteConnection(path: path, readOnly: true)
        var columns: Set<String> = []
        try db.prepare("SELECT name FROM pragma_table_info('workflow_runs')").query { columns.insert($0.text(0)) }
        let needed = ExecutorRow.neededColumns
        guard needed.isSubset(of: columns) else {
            throw LedgerError(
                "\(path): not the executor's database (workflow_runs lacks \(needed.subtracting(columns).sorted().joined(separator: ", ")))"
            )
        }
    }

    /// What the executor reports for each of `runIds` whose row says the run has ended. A field the
    /// row leaves empty (NULL, or absent from `metadata`) is -1: not reported, so never a mismatch.
    public func reports(for runIds: [String]) throws -> [String: Report] {
        var out: [String: Report] = [:]
        for chunk in stride(from: 0, to: runIds.count, by: 500) {
            let ids = Array(runIds[chunk..<min(runIds.count, chunk + 500)])
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let sql = """
                SELECT run_id, cost_estimate, total_tokens, metadata FROM workflow_runs
                WHERE status IN ('completed', 'failed', 'killed') AND run_id IN (\(marks))
                """
            try db.prepare(sql).query(ids.map(SQLValue.text)) { row in
                out[row.text(0)] = ExecutorRow.report(
                    cost: row.optionalText(1), totalTokens: row.optionalInt(2), metadata: row.optionalText(3))
            }
        }
        return out
    }
}
