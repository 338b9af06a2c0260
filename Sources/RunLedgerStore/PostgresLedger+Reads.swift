import Foundation
import RunLedgerCore

/// What people and the commands read of a PostgreSQL ledger (`LedgerQueries`). Lists of runs, counts
/// and single runs are the fleet's; positions, rollups, unattributed facts and the runs a stall watch or
/// report poller looks at are this instance's, so that its metrics add up to what it ingested.
extension PostgresLedger {
    public func runs(_ filter: RunFilter, page: RunPage) throws -> (runs: [RunRecord], next: Int64?) {
        var q = Self.conditions(filter)
        if let cursor = page.cursor { q.add("seq < $", String(cursor)) }
        let limit = max(1, page.limit)
        // Newest first, the planner walks seq backwards and filters: with a time range far from the newest
        // runs (a day last month), that reads every run after it. The range's newest seq, from the
        // (at_ms, seq) index alone ("+ 0" keeps max() from being planned as that same backward walk),
        // starts the walk at the first match instead. It only bounds what matches anyway.
        let time = filter.sinceMs != nil || filter.untilMs != nil
        let start = time ? " AND seq <= (SELECT max(seq + 0) FROM runs\(q.whereClause))" : ""
        let rows = try db.query(
            "SELECT seq, record::text, instance FROM runs\(q.whereClause)\(start) ORDER BY seq DESC LIMIT \(limit + 1)",
            q.values)
        var out = try rows.map { try record($0[1], instance: $0[2]) }
        guard out.count > limit else { return (out, nil) }
        out.removeLast()
        return (out, rows[limit - 1][0].flatMap { Int64($0) })
    }

    public func allRuns(_ filter: RunFilter) throws -> [RunRecord] {
        let q = Self.conditions(filter)
        return try db.query("SELECT record::text, instance FROM runs\(q.whereClause) ORDER BY seq", q.values).map {
            try record($0[0], instance: $0[1])
        }
    }

    public func counts(_ filter: RunFilter) throws -> RunCounts {
        let q = Self.conditions(filter)
        let row = try db.query(
            """
            SELECT count(*), coalesce(sum(false_failure), 0), coalesce(sum(has_mismatch), 0), coalesce(sum(stalled), 0)
            FROM runs\(q.whereClause)
            """, q.values
        ).first
        let n = { (i: Int) in row?[i].flatMap { Int($0) } ?? 0 }
        return RunCounts(runs: n(0), falseFailures: n(1), mismatches: n(2), stalled: n(3))
    }

    public func count(_ filter: RunFilter) throws -> Int {
        let q = Self.conditions(filter)
        return Int(try db.scalar("SELECT count(*) FROM runs\(q.whereClause)", q.values) ?? "") ?? 0
    }

    public var namesInstances: Bool { true }

    public func runCount() throws -> Int { Int(try db.scalar("SELECT count(*) FROM runs") ?? "") ?? 0 }

    public func unattributedCount() throws -> Int {
        Int(try db.scalar("SELECT count(*) FROM unattributed WHERE instance = $1", [instance]) ?? "") ?? 0
    }

    public func rollups() throws -> SeriesValues {
        var out: SeriesValues = [:]
        let rows = try waitingForServer {
            try db.query("SELECT series, value FROM rollups WHERE instance = $1", [instance])
        }
        for row in rows {
            if let key = row[0].flatMap(SeriesKey.init(encoded:)), let v = row[1].flatMap({ Int64($0) }) {
                out[key] = v
            }
        }
        return out
    }

    /// Where this instance's log clock stood: the latest time among the runs it wrote last.
    public func latestRunTimeMs() throws -> Int64? {
        let found = try db.scalar(
            """
            SELECT max(greatest(coalesce(started_at_ms, 0), coalesce(ended_at_ms, 0)))
            FROM (SELECT started_at_ms, ended_at_ms FROM runs WHERE instance = $1 ORDER BY seq DESC LIMIT 1000) AS last
            """, [instance]
        ).flatMap { Int64($0) }
        return (found ?? 0) > 0 ? found : nil
    }

    /// This instance's ended runs, most recently ended first (a run with no end time last, as in SQLite).
    public func endedRuns(reportedBy source: String, unreportedOnly: Bool) throws -> [(runId: String, report: Report?)]
    {
        var q = SQLParameters()
        q.add("instance = $", instance)
        q.add("status = ANY($::text[])", "{" + RunStatus.terminal.map(\.rawValue).joined(separator: ",") + "}")
        let path = q.next(source)
        if unreportedOnly { q.conditions.append("record->'reported'->\(path) IS NULL") }
        let rows = try db.query(
            """
            SELECT run_id, (record->'reported'->\(path))::text FROM runs\(q.whereClause)
            ORDER BY ended_at_ms DESC NULLS LAST, run_id DESC
            """, q.values)
        return try rows.map { row in
            (row[0] ?? "", try row[1].map { try decoder.decode(Report.self, from: Data($0.utf8)) })
        }
    }

    /// This instance's runs by status, oldest written first (its stall watch's running runs).
    public func runs(_ query: RunQuery) throws -> [RunRecord] {
        var q = SQLParameters()
        q.add("instance = $", instance)
        if let s = query.status { q.add("status = $", s.rawValue) }
        return try db.query("SELECT record::text, instance FROM runs\(q.whereClause) ORDER BY seq", q.values).map {
            try record($0[0], instance: $0[1])
        }
    }

    // Columns `write` keeps beside it: `mismatch` non-empty, and running with a stall mark.
    private static let hasMismatch = "has_mismatch = 1"
    private static let isStalled = "stalled = 1"

    private static func conditions(_ f: RunFilter) -> SQLParameters {
        var q = SQLParameters()
        if f.falseFailure { q.conditions.append("false_failure = 1") }
        if f.flagged { q.conditions.append("flagged = 1") }
        if f.stalled { q.conditions.append(isStalled) }
        switch f.mismatch {
        case .any?: q.conditions.append(hasMismatch)
        case .field(let field)?:
            q.add(
                "EXISTS (SELECT 1 FROM jsonb_each(record->'mismatch') AS s, jsonb_array_elements_text(s.value) AS m"
                    + " WHERE m = $)", field)
        case nil: break
        }
        if let w = f.workflow { q.add("workflow = $", w) }
        if let s = f.status { q.add("status = $", s.rawValue) }
        if let since = f.sinceMs { q.add("at_ms >= $", String(since)) }
        if let until = f.untilMs { q.add("at_ms < $", String(until)) }
        if let i = f.instance { q.add("instance = $", i) }
        if let p = f.idPrefix {
            // A prefix pattern on a "C" column: the primary key's index finds it (substr would read every row).
            var pattern = ""
            for c in p.unicodeScalars {
                if c == "\\" || c == "%" || c == "_" { pattern.append("\\") }
                pattern.unicodeScalars.append(c)
            }
            q.add("run_id LIKE $", pattern + "%")
        }
        return q
    }
}

/// A `WHERE` clause built with numbered parameters: each `$` in a condition added is the next one.
struct SQLParameters {
    var conditions: [String] = []
    var values: [String?] = []

    /// The placeholder (`$N`) of a new parameter.
    mutating func next(_ value: String?) -> String {
        values.append(value)
        return "$\(values.count)"
    }

    /// `condition` with its one `$` numbered for `value`.
    mutating func add(_ condition: String, _ value: String) {
        let placeholder = next(value)
        conditions.append(condition.replacingOccurrences(of: "$", with: placeholder))
    }

    var whereClause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }
}
