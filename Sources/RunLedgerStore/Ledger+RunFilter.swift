import RunLedgerCore

/// Lists of runs by `RunFilter`, newest first, a page at a time: `/api/runs`, `/runs` and `runledger runs`.
extension Ledger {
    /// One page of `filter`'s runs, newest first, and the cursor of the page after it (nil: no more).
    /// The cursor is the last run's row id: pages stay put while new runs arrive at the top.
    public func runs(_ filter: RunFilter, page: RunPage) throws -> (runs: [RunRecord], next: Int64?) {
        var (conditions, values) = Self.sql(filter)
        if let cursor = page.cursor {
            conditions.append("rowid < ?")
            values.append(.int(cursor))
        }
        let limit = max(1, page.limit)
        var sql = "SELECT rowid, record FROM runs"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY rowid DESC LIMIT \(limit + 1)"
        var out: [RunRecord] = []
        var rowids: [Int64] = []
        try db.prepare(sql).query(values) { row in
            rowids.append(row.int(0))
            out.append(try record(row, 1))
        }
        guard out.count > limit else { return (out, nil) }
        out.removeLast()
        return (out, rowids[limit - 1])
    }

    /// Every run of `filter`, in ledger order (oldest first): `runledger runs --json` exports.
    public func allRuns(_ filter: RunFilter) throws -> [RunRecord] {
        let (conditions, values) = Self.sql(filter)
        var sql = "SELECT record FROM runs"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY rowid"
        var out: [RunRecord] = []
        try db.prepare(sql).query(values) { row in
            out.append(try record(row, 0))
        }
        return out
    }

    public func counts(_ filter: RunFilter) throws -> RunCounts {
        let (conditions, values) = Self.sql(filter)
        var sql = """
            SELECT count(*), coalesce(sum(false_failure), 0),
                coalesce(sum(\(Self.hasMismatch)), 0), coalesce(sum(\(Self.isStalled)), 0) FROM runs
            """
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        var c = RunCounts()
        try db.prepare(sql).query(values) { row in
            c = RunCounts(
                runs: Int(row.int(0)), falseFailures: Int(row.int(1)), mismatches: Int(row.int(2)),
                stalled: Int(row.int(3)))
        }
        return c
    }

    // The record's JSON (RunRecord+LedgerJSON): `mismatch` maps a source to its mismatched fields.
    private static let hasMismatch = "(json_extract(record, '$.mismatch') NOT IN ('{}'))"
    private static let isStalled = "(status = 'running' AND json_extract(record, '$.stalledAtMs') IS NOT NULL)"

    private static func sql(_ f: RunFilter) -> ([String], [SQLValue]) {
        var c: [String] = []
        var v: [SQLValue] = []
        if f.falseFailure { c.append("false_failure = 1") }
        if f.flagged { c.append("flagged = 1") }
        if f.stalled { c.append(isStalled) }
        switch f.mismatch {
        case .any?: c.append(hasMismatch)
        case .field(let field)?:
            c.append(
                "EXISTS (SELECT 1 FROM json_each(record, '$.mismatch') AS s, json_each(s.value) AS m WHERE m.value = ?)"
            )
            v.append(.text(field))
        case nil: break
        }
        if let w = f.workflow { c.append("workflow = ?"); v.append(.text(w)) }
        if let s = f.status { c.append("status = ?"); v.append(.text(s.rawValue)) }
        if let since = f.sinceMs { c.append("coalesce(started_at_ms, ended_at_ms) >= ?"); v.append(.int(since)) }
        if let until = f.untilMs { c.append("coalesce(started_at_ms, ended_at_ms) < ?"); v.append(.int(until)) }
        // An SQLite ledger is one instance's and names none: a filter by instance matches no run.
        if f.instance != nil { c.append("0 = 1") }
        if let p = f.idPrefix {
            c.append("substr(run_id, 1, ?) = ?")
            v.append(.int(Int64(p.unicodeScalars.count)))
            v.append(.text(p))
        }
        return (c, v)
    }
}
