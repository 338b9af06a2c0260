import Foundation
import RunLedgerCore
import Synchronization

/// A ledger in PostgreSQL, for a fleet: many instances (`--instance`, one per host) write one ledger.
/// The same contract as the SQLite `Ledger`: a batch's runs, facts, rollups, alerts and position commit
/// in one transaction or not at all. What is an instance's own (positions, open bursts, rollups,
/// deliveries) is kept under its name; runs and alerts are the fleet's (`PostgresSchema`).
///
/// Two instances never write over each other's facts: a run is updated only at the version this
/// connection read, so a run another instance changed in between fails the batch whole, and the reader
/// reads it again from its saved position (as after any failed commit), folding onto the newer record.
public final class PostgresLedger {
    public let instance: String
    let db: PostgresConnection
    let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    let decoder = JSONDecoder()
    /// The writer's hold on its instance name (nil for a reader and for the notifier's connection).
    private let writerLock: PostgresWriterLock?
    /// The version of each run as this connection last read or wrote it (0: it had none), two
    /// generations so that it stays bounded; a run not here is written at whatever version it has.
    private var versions: [String: Int64] = [:]
    private var olderVersions: [String: Int64] = [:]
    private static let versionsCap = 50_000
    /// What the ledger holds of each source's open bursts, as this connection last wrote or read it.
    var openBurstJournals: [String: OpenBurstJournal] = [:]

    public enum Role: Sendable { case writer, outbox, reader }

    public init(_ address: PostgresAddress, instance: String, role: Role) throws {
        self.instance = instance
        // Before anything is written: a second writer under the same name must not even migrate.
        writerLock = role == .writer ? try PostgresWriterLock.acquire(address, instance: instance) : nil
        db = try PostgresConnection(address, readOnly: role == .reader)
        if role == .reader { try PostgresSchema.checkReadable(db) } else { try PostgresSchema.migrate(db) }
        // A re-opened session may have missed other writers' commits: trust nothing remembered.
        db.onReconnect = { [weak self] _ in self?.forgetRemembered() }
    }

    var name: String { db.address.displayName }

    private func forgetRemembered() {
        versions.removeAll()
        olderVersions.removeAll()
        openBurstJournals.removeAll()
    }

    private func rememberVersion(_ id: String, _ version: Int64) {
        if versions.count >= Self.versionsCap, versions[id] == nil {
            olderVersions = versions
            versions.removeAll(keepingCapacity: true)
        }
        versions[id] = version
    }

    // MARK: Writing

    /// How long a commit keeps trying while the server cannot be reached, before it fails (and its
    /// source is read again from the saved position, as after any failed commit). Bounded so that a stop
    /// asked for meanwhile waits at most this long.
    public var unavailableBudgetSeconds = 60.0
    private var availabilityObservers: [(LedgerAvailability) -> Void] = []
    private var available = true

    public func observeAvailability(_ body: @escaping (LedgerAvailability) -> Void) {
        availabilityObservers.append(body)
    }

    private func setAvailability(_ now: LedgerAvailability) {
        guard (now == .up) != available else { return }
        available = now == .up
        for observer in availabilityObservers { observer(now) }
    }

    /// Runs `body`, trying again with backoff while the server cannot be reached (a restart, a proxy
    /// that dropped the session), for up to `unavailableBudgetSeconds`: the writer's reads and commits
    /// wait where they are rather than fail their source. Says so once each way to the observers.
    func waitingForServer<T>(_ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(unavailableBudgetSeconds)
        var delay = 0.25
        while true {
            do {
                let value = try body()
                setAvailability(.up)
                return value
            } catch let error as LedgerError where error.unavailable {
                setAvailability(.down(error.description))
                guard Date() < deadline else { throw error }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
    }

    /// Commits `batch`, trying again with backoff while the server cannot be reached: the whole
    /// transaction again, on a new session, unless it is found to have landed (a COMMIT reached the
    /// server but the answer did not: the position saved is the batch's). Once any attempt has sent its
    /// COMMIT, none is made again before the ledger has been asked whether it landed.
    public func commit(_ batch: LedgerBatch) throws {
        guard !batch.isEmpty else { return }
        var mayHaveLanded = false
        try waitingForServer {
            if mayHaveLanded {
                // Without a position there is no telling whether a COMMIT whose answer was lost landed:
                // such a batch (reports, stall marks) fails, and its facts are asked for again.
                guard let p = batch.position else {
                    throw db.failure("the server went away before it answered a COMMIT; the batch is asked for again")
                }
                if try landed(p) { return }
            }
            defer { mayHaveLanded = mayHaveLanded || commitSent }
            try commitOnce(batch)
        }
    }

    /// Whether the ledger holds `p` as its source's position (identity, offset and line) already.
    private func landed(_ p: SourcePosition) throws -> Bool {
        let row = try db.query(
            "SELECT identity, byte_offset, lines FROM positions WHERE instance = $1 AND source = $2",
            [instance, p.source]
        ).first
        return row == [p.identity, String(p.offset), String(p.lines)]
    }

    /// Whether the last transaction got as far as sending its COMMIT.
    private var commitSent = false

    private func commitOnce(_ batch: LedgerBatch) throws {
        commitSent = false
        try writerLock?.check()
        var journal: OpenBurstJournal?
        var written: [(String, Int64)] = []
        try db.exec("BEGIN")
        do {
            // The runs' rows locked in one order first, so that two instances writing the same runs wait on
            // each other rather than deadlock; then written in the batch's order, the order lists show.
            if batch.runs.count > 1 {
                try db.query(
                    "SELECT 1 FROM runs WHERE run_id = ANY($1::text[]) ORDER BY run_id FOR UPDATE",
                    [Self.arrayLiteral(batch.runs.map(\.runId))])
            }
            // The batch's rows in one stream (a round trip per 64 statements), each run's checked after.
            var statements = batch.runs.map(write)
            for u in batch.unattributed {
                let facts = String(decoding: try encoder.encode(u.group.facts), as: UTF8.self)
                statements.append(
                    .init(
                        "INSERT INTO unattributed(instance, source, line, reason, facts) VALUES ($1, $2, $3, $4, $5::jsonb)",
                        [instance, u.source, String(u.line), u.group.reason, facts]))
            }
            statements += rollupStatements(batch.rollupDelta)
            for alert in batch.alerts {
                // A second raise of the same run and kind, here or on another instance, is ignored, sinks included.
                let sinks = batch.routes.filter { $0.accepts(alert) }.map(\.sink)
                statements.append(
                    .init(
                        """
                        WITH raised AS (
                            INSERT INTO outbox(dedup_key, kind, run_id, alert, raised_at_ms, instance)
                            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedup_key) DO NOTHING RETURNING id)
                        INSERT INTO deliveries(alert_id, sink, instance, state)
                        SELECT raised.id, sink, $6, 'pending' FROM raised, unnest($7::text[]) AS sink
                        ON CONFLICT DO NOTHING
                        """,
                        [
                            alert.dedupKey, alert.kind.rawValue, alert.runId, Ledger.alertJSON(alert),
                            alert.raisedAtMs.map(String.init), instance, Self.arrayLiteral(sinks),
                        ]))
            }
            let answers = try db.pipelined(statements)
            for (r, rows) in zip(batch.runs, answers) {
                guard let text = rows.first?.first ?? nil, let version = Int64(text) else {
                    throw changedElsewhere(r.runId)
                }
                written.append((r.runId, version))
            }
            if let p = batch.position {
                journal = try saveOpenBursts(of: p)
                let state = try p.correlator.ledgerJSON { String(decoding: try encoder.encode($0), as: UTF8.self) }
                try db.command(
                    """
                    INSERT INTO positions(instance, source, identity, byte_offset, lines, correlator)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (instance, source) DO UPDATE SET
                        identity = excluded.identity, byte_offset = excluded.byte_offset, lines = excluded.lines,
                        correlator = excluded.correlator
                    """, [instance, p.source, p.identity, String(p.offset), String(p.lines), state])
            }
            commitSent = true
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            forgetRemembered()
            throw error
        }
        if let p = batch.position, let journal { openBurstJournals[p.source] = journal }
        for (id, version) in written { rememberVersion(id, version) }
    }

    /// The statement that writes one run at the version read (or as new, when it had none); its one row
    /// is the run's new version, none when another instance wrote the run meanwhile.
    private func write(_ r: RunRecord) -> PostgresConnection.Statement {
        let columns: [String?] = [
            r.runId, r.workflowName, r.currentStatus.rawValue, r.startedAtMs.map(String.init),
            r.endedAtMs.map(String.init), String(r.cost), String(r.turnCount), String(r.totalTokens),
            r.taskgroupError ? "1" : "0", r.falseFailure ? "1" : "0", r.isFlagged ? "1" : "0",
            r.shownAttribution.rawValue, r.ledgerJSON, r.mismatch.isEmpty ? "0" : "1", r.isStalled ? "1" : "0",
        ]
        let set = """
            workflow = $2, status = $3, started_at_ms = $4, ended_at_ms = $5, cost_nano = $6, turns = $7,
            total_tokens = $8, taskgroup_error = $9, false_failure = $10, flagged = $11, attribution = $12,
            record = $13::jsonb, has_mismatch = $14, stalled = $15, version = runs.version + 1
            """
        let insert = """
            INSERT INTO runs(run_id, workflow, status, started_at_ms, ended_at_ms, cost_nano, turns, total_tokens,
                             taskgroup_error, false_failure, flagged, attribution, record, has_mismatch, stalled,
                             instance)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16)
            """
        switch versions[r.runId] ?? olderVersions[r.runId] {
        case 0?:
            return .init(insert + " ON CONFLICT (run_id) DO NOTHING RETURNING version", columns + [instance])
        case let read?:
            return .init(
                "UPDATE runs SET \(set) WHERE run_id = $1 AND version = $16 RETURNING version", columns + [String(read)]
            )
        case nil:
            // Forgotten (the bound, a re-opened session) and not read since: written over whatever is there.
            return .init(insert + " ON CONFLICT (run_id) DO UPDATE SET \(set) RETURNING version", columns + [instance])
        }
    }

    /// A text array parameter (`{"a","b"}`), each element quoted.
    static func arrayLiteral(_ items: [String]) -> String {
        let quoted = items.map {
            "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    private func changedElsewhere(_ runId: String) -> LedgerError {
        db.failure("run \(runId) was written by another instance since this one read it; the batch is read again")
    }

    func addRollups(_ delta: SeriesValues) throws { _ = try db.pipelined(rollupStatements(delta)) }

    private func rollupStatements(_ delta: SeriesValues) -> [PostgresConnection.Statement] {
        delta.filter { $0.value != 0 }.map { key, value in
            .init(
                """
                INSERT INTO rollups(instance, series, value) VALUES ($1, $2, $3)
                ON CONFLICT (instance, series) DO UPDATE SET value = rollups.value + excluded.value
                """, [instance, key.encoded, String(value)])
        }
    }

    // MARK: The fold's state

    public func run(_ id: String) throws -> RunRecord? { try waitingForServer { try readRun(id) } }

    private func readRun(_ id: String) throws -> RunRecord? {
        guard
            let row = try db.query("SELECT record::text, version, instance FROM runs WHERE run_id = $1", [id]).first
        else {
            rememberVersion(id, 0)
            return nil
        }
        rememberVersion(id, row[1].flatMap { Int64($0) } ?? 0)
        return try record(row[0], instance: row[2])
    }

    /// The run record in a `record::text` column: the hand-written reader, or `JSONDecoder` for a record
    /// it does not take.
    func record(_ text: String?, instance: String?) throws -> RunRecord {
        guard let text else { throw db.failure("a run without its record") }
        var r: RunRecord
        if let read = RunRecord(ledgerJSON: text) {
            r = read
        } else {
            do { r = try decoder.decode(RunRecord.self, from: Data(text.utf8)) } catch {
                throw db.failure("a run record cannot be read (\(error))")
            }
        }
        r.instance = instance
        return r
    }
}

/// One writer per instance name and ledger, between processes: a session-level advisory lock held by a
/// connection of its own, shared by this process's writers of that ledger and instance (as `LedgerLock`
/// is for SQLite). Two hosts given the same `--instance` would each read their logs into the other's
/// positions; the second is refused at start.
final class PostgresWriterLock {
    private let connection: PostgresConnection
    private let key: String
    private let instance: String

    private static let held = Mutex<[String: Weak]>([:])
    private struct Weak { weak var lock: PostgresWriterLock? }

    private init(connection: PostgresConnection, key: String, instance: String) {
        self.connection = connection
        self.key = key
        self.instance = instance
    }

    static func acquire(_ address: PostgresAddress, instance: String) throws -> PostgresWriterLock {
        // By address and instance: a second spelling of one server is refused by the server's lock instead.
        let key = "\(address.displayName)|\(address.value("options") ?? "")|\(instance)"
        return try held.withLock { held in
            if let existing = held[key]?.lock { return existing }
            let connection = try PostgresConnection(address, readOnly: false)
            try take(connection, instance: instance)
            connection.onReconnect = { try take($0, instance: instance) }
            let lock = PostgresWriterLock(connection: connection, key: key, instance: instance)
            held[key] = Weak(lock: lock)
            return lock
        }
    }

    private static func take(_ connection: PostgresConnection, instance: String) throws {
        let got = try connection.scalar(
            "SELECT pg_try_advisory_lock(hashtext('runledger-writer'), hashtext(current_schema() || '/' || $1))",
            [instance])
        guard got == "t" else {
            throw connection.failure(
                "instance \(instance) already writes this ledger (another runledger holds it); one writer per"
                    + " instance: stop it, or give this one its own --instance")
        }
    }

    /// Before a commit: the lock is still held. A session the server lost (a restart) held it no more:
    /// re-opened, it takes the lock again (`onReconnect`); if another process took it meanwhile, the
    /// commit is refused. Found by a round trip: an idle session the server ended can still look
    /// connected, even having read what the server sent before it closed (seen under load).
    func check() throws {
        do {
            try connection.command("SELECT 1")
        } catch let error as LedgerError where error.unavailable {
            try connection.command("SELECT 1")  // re-opens the session, or finds the server still away
        }
    }
}
