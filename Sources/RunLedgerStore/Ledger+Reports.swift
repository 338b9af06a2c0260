import Foundation
import RunLedgerCore

extension Ledger {
    /// Ended runs, most recently ended first, each with its report from `source` (nil when it has
    /// none): what a report poller asks about. `unreportedOnly` leaves out runs that have one.
    ///
    /// Reads two columns and one JSON path in SQLite instead of decoding every record: a poller runs
    /// this every few seconds, and a ledger of 30,000 ended runs took ~2 s a poll to decode whole.
    public func endedRuns(reportedBy source: String, unreportedOnly: Bool) throws -> [(
        runId: String, report: Report?
    )] {
        let marks = RunStatus.terminal.map { _ in "?" }.joined(separator: ", ")
        let path = "$.reported.\"\(source.replacingOccurrences(of: "\"", with: ""))\""
        var sql = "SELECT run_id, json_extract(record, ?) AS report FROM runs WHERE status IN (\(marks))"
        if unreportedOnly { sql += " AND report IS NULL" }
        sql += " ORDER BY ended_at_ms DESC, run_id DESC"
        let values: [SQLValue] = [.text(path)] + RunStatus.terminal.map { .text($0.rawValue) }
        var out: [(String, Report?)] = []
        let decoder = JSONDecoder()
        try db.prepare(sql).query(values) { row in
            let report = try row.optionalText(1).map { try decoder.decode(Report.self, from: Data($0.utf8)) }
            out.append((row.text(0), report))
        }
        return out
    }
}
