import CSQLite
import Foundation
import RunLedgerCore

/// Where a source was read up to, and the correlator's memory at that point.
public struct SourcePosition: Sendable, Equatable {
    public var source: String
    /// What the offset refers to (for a file: device, inode and a fingerprint of its first bytes).
    public var identity: String
    public var offset: Int64
    public var lines: Int64
    public var correlator: CorrelatorState

    public init(source: String, identity: String, offset: Int64, lines: Int64, correlator: CorrelatorState) {
        self.source = source
        self.identity = identity
        self.offset = offset
        self.lines = lines
        self.correlator = correlator
    }
}

/// One transaction's worth of changes: the runs touched, unattributed facts, the change of every
/// ledger-derived series, and the source position they bring the ledger up to.
public struct LedgerBatch: Sendable {
    public var runs: [RunRecord] = []
    public var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
    public var rollupDelta: SeriesValues = [:]
    public var position: SourcePosition?
    /// Alerts the batch's changes raised, and the sinks that want them.
    public var alerts: [Alert] = []
    public var routes: [AlertRoute] = []

    public init() {}

    public var isEmpty: Bool {
        runs.isEmpty && unattributed.isEmpty && rollupDelta.isEmpty && position == nil && alerts.isEmpty
    }
}

/// The runs the stall watch looks at (and the tests' snapshots): by status, oldest written first. Lists
/// for people and the API take a `RunFilter` (`Ledger+RunFilter.swift`).
public struct RunQuery: Sendable {
    public var status: RunStatus?

    public init(status: RunStatus? = nil) {
        self.status = status
    }
}

/// The SQLite ledger: the source of truth for runs, rollups and positions.
public final class Ledger {
    public let path: String
    let db: SQLiteConnection
    let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    let decoder = JSONDecoder()
    private lazy var selectRun = try? db.prepare("SELECT record FROM runs WHERE run_id = ?")
    private lazy var dataVersion = try? db.prepare("PRAGMA data_version")

    /// Records this connection committed lately, so that a run touched again in a later batch is not
    /// read back and decoded (decoding was a tenth of `replay`). Two generations bound it: when the
    /// newer one is full it becomes the older one. It is dropped whenever another connection has
    /// committed (`PRAGMA data_version` moved), so it never hides someone else's write.
    private var recentRuns: [String: RunRecord] = [:]
    private var olderRuns: [String: RunRecord] = [:]
    private static let recentRunsCap = 2048
    var seenDataVersion: Int64?
    /// What the ledger holds of each source's open bursts, as this connection last wrote or read it.
    var openBurstJournals: [String: OpenBurstJournal] = [:]

    /// The one-writer-per-ledger lock between processes (`LedgerLock`); nil for a reader.
    private let processLock: LedgerLock?

    /// Opens (and, unless `readOnly`, creates and migrates) the ledger at `path`.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        // Before SQLite opens it: a refused second writer must not even migrate the ledger.
        processLock = readOnly ? nil : try LedgerLock.acquire(for: path)
        if readOnly, !FileManager.default.fileExists(atPath: path) {
            throw LedgerError("\(path): no such ledger (run `runledger replay --db \(path) FILE` first)")
        }
        db = try SQLiteConnection(path: path, readOnly: readOnly)
        do {
            let tables = try tableNames()
            if !tables.isEmpty, !tables.contains("rollups") || !tables.contains("positions") {
                // Never write RunLedger's tables into someone else's database (the executor's, say).
                throw LedgerError(
                    "\(path): not a RunLedger database (it holds \(tables.sorted().prefix(3).joined(separator: ", ")));"
                        + " refusing to use it")
            }
            if !readOnly {
                try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
                try migrate()
            } else if tables.isEmpty {
                throw LedgerError("\(path): an empty database, not a RunLedger ledger yet")
            }
        } catch let e as LedgerError {
            throw LedgerError(
                e.description.contains("not a database")
                    ? "\(path): not a RunLedger database (file is not a database or is corrupt)" : e.description)
        }
    }

    private func tableNames() throws -> Set<String> {
        var names: Set<String> = []
        try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").query { names.insert($0.text(0)) }
        return names
    }

    /// `table`, `view`, `index`… for a schema object's name; nil when there is none.
    private func objectType(_ name: String) throws -> String? {
        var type: String?
        try db.prepare("SELECT type FROM sqlite_master WHERE name = ?").query([.text(name)]) { type = $0.text(0) }
        return type
    }

    private func migrate() throws {
        try db.exec("BEGIN IMMEDIATE")
        do {
            try db.exec(Schema.migrations[0])
            var current = 0
            try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").query {
                current = Int($0.text(0)) ?? 0
            }
            guard current <= Schema.version else {
                throw LedgerError("\(path): ledger schema \(current) is newer than this runledger (\(Schema.version))")
            }
            for step in max(1, current)..<Schema.version {
                if let name = Schema.tablesBecomingViews[step], try objectType(name) == "table" {
                    try db.exec("DROP TABLE \(name)")
                }
                try db.exec(Schema.migrations[step])
            }
            try db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)").run([
                .text(String(Schema.version))
            ])
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
    }

    // MARK: Writing

    private lazy var upsertRun = try! db.prepare(
        """
        INSERT INTO runs(run_id, workflow, status, started_at_ms, ended_at_ms, cost_nano, turns, total_tokens,
                         taskgroup_error, false_failure, flagged, attribution, record)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(run_id) DO UPDATE SET workflow = excluded.workflow, status = excluded.status,
            started_at_ms = excluded.started_at_ms, ended_at_ms = excluded.ended_at_ms,
            cost_nano = excluded.cost_nano, turns = excluded.turns, total_tokens = excluded.total_tokens,
            taskgroup_error = excluded.taskgroup_error, false_failure = excluded.false_failure,
            flagged = excluded.flagged, attribution = excluded.attribution, record = excluded.record
        """)
    private lazy var insertUnattributed = try! db.prepare(
        "INSERT INTO unattributed(source, line, reason, facts) VALUES (?, ?, ?, ?)")
    private lazy var addRollup = try! db.prepare(
        "INSERT INTO rollups(series, value) VALUES (?, ?) ON CONFLICT(series) DO UPDATE SET value = CAST(value + excluded.value AS INTEGER)"
    )
    private lazy var insertAlert = try! db.prepare(
        "INSERT OR IGNORE INTO outbox(dedup_key, kind, run_id, alert, raised_at_ms) VALUES (?, ?, ?, ?, ?)")
    private lazy var insertDelivery = try! db.prepare(
        "INSERT OR IGNORE INTO deliveries(alert_id, sink, state) VALUES (?, ?, 'pending')")
    private lazy var savePosition = try! db.prepare(
        "INSERT OR REPLACE INTO positions(source, identity, offset, lines, correlator) VALUES (?, ?, ?, ?, ?)")

    /// Writes a batch in one transaction: either all of it (facts and position) lands, or none.
    public func commit(_ batch: LedgerBatch) throws {
        guard !batch.isEmpty else { return }
        var journal: OpenBurstJournal?
        try db.exec("BEGIN IMMEDIATE")
        do {
            for r in batch.runs {
                let record = r.ledgerJSON
                try upsertRun.run([
                    .text(r.runId), .text(r.workflowName), .text(r.currentStatus.rawValue), .optional(r.startedAtMs),
                    .optional(r.endedAtMs), .int(r.cost), .int(r.turnCount), .int(r.totalTokens),
                    .int(r.taskgroupError ? 1 : 0), .int(r.falseFailure ? 1 : 0), .int(r.isFlagged ? 1 : 0),
                    .text(r.shownAttribution.rawValue), .text(record),
                ])
            }
            for u in batch.unattributed {
                let facts = String(decoding: try encoder.encode(u.group.facts), as: UTF8.self)
                try insertUnattributed.run([.text(u.source), .int(u.line), .text(u.group.reason), .text(facts)])
            }
            for (key, delta) in batch.rollupDelta where delta != 0 {
                try addRollup.run([.text(key.encoded), .int(delta)])
            }
            for alert in batch.alerts {
                let json = Self.alertJSON(alert)
                try insertAlert.run([
                    .text(alert.dedupKey), .text(alert.kind.rawValue), .text(alert.runId), .text(json),
                    .optional(alert.raisedAtMs),
                ])
                // A second raise of the same run and kind (after a restart, say) is ignored, sinks included.
                guard sqlite3_changes(db.handle) == 1 else { continue }
                let id = sqlite3_last_insert_rowid(db.handle)
                for route in batch.routes where route.accepts(alert) {
                    try insertDelivery.run([.int(id), .text(route.sink)])
                }
            }
            if let p = batch.position {
                journal = try saveOpenBursts(of: p)
                let state = try p.correlator.ledgerJSON { String(decoding: try encoder.encode($0), as: UTF8.self) }
                try savePosition.run([.text(p.source), .text(p.identity), .int(p.offset), .int(p.lines), .text(state)])
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            forgetRecentRuns()
            openBurstJournals.removeAll()
            throw error
        }
        if let p = batch.position, let journal { openBurstJournals[p.source] = journal }
        for r in batch.runs { remember(r) }
        seenDataVersion = currentDataVersion()
    }

    /// The JSON `JSONEncoder` (sorted keys) makes of an alert, written by hand: a replay raises an alert
    /// for most runs, and the encoder was 2% of it. A test compares the two, so a field added to `Alert`
    /// and not here fails it.
    static func alertJSON(_ a: Alert) -> String {
        var w = JSONWriter()
        w.beginObject()
        if let budget = a.budgetNano { w.key(literal: "budgetNano"); w.int(budget) }
        w.key(literal: "costNano"); w.int(a.costNano)
        w.key(literal: "kind"); w.string(a.kind.rawValue)
        w.key(literal: "mismatch")
        w.stringLists(a.mismatch)
        if let quiet = a.quietForMs { w.key(literal: "quietForMs"); w.int(quiet) }
        if let raised = a.raisedAtMs { w.key(literal: "raisedAtMs"); w.int(raised) }
        w.key(literal: "runId"); w.string(a.runId)
        w.key(literal: "status"); w.string(a.status)
        w.key(literal: "tools"); w.int(a.tools)
        w.key(literal: "totalTokens"); w.int(a.totalTokens)
        w.key(literal: "turns"); w.int(a.turns)
        if let work = a.uncommittedWork { w.key(literal: "uncommittedWork"); w.string(work) }
        w.key(literal: "workflow"); w.string(a.workflow)
        w.endObject()
        return w.text
    }

    private func remember(_ r: RunRecord) {
        if recentRuns.count >= Self.recentRunsCap, recentRuns[r.runId] == nil {
            olderRuns = recentRuns
            recentRuns.removeAll(keepingCapacity: true)
        }
        recentRuns[r.runId] = r
    }

    private func forgetRecentRuns() {
        recentRuns.removeAll()
        olderRuns.removeAll()
    }

    /// Moves when another connection commits (this connection's own commits leave it alone).
    func currentDataVersion() -> Int64? {
        var version: Int64?
        try? dataVersion?.query { version = $0.int(0) }
        return version
    }

    // MARK: Reading

    public func run(_ id: String) throws -> RunRecord? {
        // Only a hit needs `data_version` checked (a miss reads the row anyway): runs polled long after
        // they left the cache are read back often, and each PRAGMA took and dropped SQLite's locks.
        if let r = recentRuns[id] ?? olderRuns[id] {
            let version = currentDataVersion()
            if version != nil, version == seenDataVersion { return r }
            forgetRecentRuns()
        }
        guard let stmt = selectRun else { throw db.error("prepare") }
        var found: RunRecord?
        try stmt.query([.text(id)]) { row in
            found = try record(row, 0)
        }
        return found
    }

    public func runs(_ q: RunQuery = RunQuery()) throws -> [RunRecord] {
        var sql = "SELECT record FROM runs"
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let s = q.status { conditions.append("status = ?"); values.append(.text(s.rawValue)) }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY rowid"
        var out: [RunRecord] = []
        try db.prepare(sql).query(values) { row in
            out.append(try record(row, 0))
        }
        return out
    }

    /// The latest start or end time among the runs written last: where the log's clock stood when the
    /// ledger was last written. Runs are written roughly in log order, so the last thousand rows tell;
    /// a scan of all of them took a fifth of a second on a 310k-run ledger, at every start.
    public func latestRunTimeMs() throws -> Int64? {
        var found: Int64?
        try db.prepare(
            """
            SELECT max(max(coalesce(started_at_ms, 0), coalesce(ended_at_ms, 0)))
            FROM (SELECT started_at_ms, ended_at_ms FROM runs ORDER BY rowid DESC LIMIT 1000)
            """
        ).query { found = $0.optionalInt(0) }
        return (found ?? 0) > 0 ? found : nil
    }

    /// SQLite's page cache for this connection, in KiB (SQLite's default is 2000). A long read raises
    /// it while it lasts: with the default, upserting runs re-read B-tree pages from the file (pread
    /// was 7% of a replay's writer thread); `serve` keeps the default so that its memory stays small.
    public func setPageCache(kib: Int) {
        try? db.exec("PRAGMA cache_size=-\(max(kib, 100))")
    }

    public func runCount() throws -> Int {
        var n = 0
        try db.prepare("SELECT count(*) FROM runs").query { n = Int($0.int(0)) }
        return n
    }

    public func rollups() throws -> SeriesValues {
        var out: SeriesValues = [:]
        try db.prepare("SELECT series, value FROM rollups").query { row in
            if let key = SeriesKey(encoded: row.text(0)) { out[key] = row.int(1) }
        }
        return out
    }

    public func position(of source: String) throws -> SourcePosition? {
        var found: SourcePosition?
        try db.prepare("SELECT identity, offset, lines, correlator FROM positions WHERE source = ?").query([
            .text(source)
        ]) { row in
            var state = try decoder.decode(CorrelatorState.self, from: Data(row.text(3).utf8))
            try restoreOpenBursts(of: source, into: &state)
            found = SourcePosition(
                source: source, identity: row.text(0), offset: row.int(1), lines: row.int(2), correlator: state)
        }
        return found
    }

    public func positions() throws -> [SourcePosition] {
        var sources: [String] = []
        try db.prepare("SELECT source FROM positions ORDER BY source").query { sources.append($0.text(0)) }
        return try sources.compactMap { try position(of: $0) }
    }

    public func unattributedCount() throws -> Int {
        var n = 0
        try db.prepare("SELECT count(*) FROM unattributed").query { n = Int($0.int(0)) }
        return n
    }

    /// The run record in `row`'s column `column`: the hand-written reader, or `JSONDecoder` for a
    /// record it does not take (one written by an older runledger).
    func record(_ row: Row, _ column: Int32) throws -> RunRecord {
        try row.withBytes(column) { RunRecord(ledgerJSON: $0) } ?? decodeRecord(row.text(column))
    }

    private func decodeRecord(_ json: String) throws -> RunRecord {
        do { return try decoder.decode(RunRecord.self, from: Data(json.utf8)) } catch {
            throw LedgerError("\(path): a run record cannot be read (\(error))")
        }
    }
}
