import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerServer
@testable import RunLedgerStore

@Suite struct LedgerTests {
    @Test func aBatchCommitsRunsRollupsAndPositionTogether() throws {
        let dir = TempDir()
        let ledger = try Ledger(path: dir.file("l.db"))
        var run = RunRecord(runId: "r1")
        run.apply(.started, at: 5, attribution: .exact)
        run.apply(.cost(nano: 42, .report), at: nil, attribution: .burst)
        var batch = LedgerBatch()
        batch.runs = [run]
        batch.rollupDelta = [SeriesKey(Metrics.cost.name, ["unknown"]): 42]
        batch.position = SourcePosition(
            source: "s", identity: "1:2:3:4", offset: 99, lines: 3, correlator: CorrelatorState())
        try ledger.commit(batch)

        let reopened = try Ledger(path: dir.file("l.db"), readOnly: true)
        #expect(try reopened.run("r1") == run)
        #expect(try reopened.rollups()[SeriesKey(Metrics.cost.name, ["unknown"])] == 42)
        #expect(try reopened.position(of: "s")?.offset == 99)
        #expect(try reopened.runCount() == 1)
    }

    @Test func aCorruptDatabaseIsReportedByName() throws {
        let dir = TempDir()
        let path = dir.file("bad.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            try Ledger(path: path)
        } throws: { error in
            "\(error)".hasPrefix(path) && "\(error)".contains("not a RunLedger database")
        }
    }

    @Test func anotherApplicationsDatabaseIsNeverWrittenInto() throws {
        let dir = TempDir()
        let path = dir.file("workflow_runs.db")
        try FileManager.default.copyItem(atPath: Fixture.executorDB, toPath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try Ledger(path: path)
        } throws: { error in
            "\(error)".contains("not a RunLedger database") && "\(error)".contains("workflow_runs")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aMissingLedgerIsNotCreatedByReaders() {
        let dir = TempDir()
        #expect(throws: LedgerError.self) { try Ledger(path: dir.file("none.db"), readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("none.db")))
    }

    @Test func rollupsEqualTheSumsOverTheLedger() throws {
        let dir = TempDir()
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"))
        let rollups = try ledger.rollups()
        let runs = try ledger.runs()
        func total(_ name: String) -> Int64 { rollups.filter { $0.key.name == name }.values.reduce(0, +) }
        #expect(total(Metrics.cost.name) == runs.reduce(0) { $0 + $1.cost })
        #expect(total(Metrics.turns.name) == runs.reduce(0) { $0 + $1.turnCount })
        #expect(total(Metrics.tokens.name) == runs.reduce(0) { $0 + $1.totalTokens })
        #expect(total(Metrics.runsStarted.name) == Int64(runs.count))
        #expect(total(Metrics.falseFailures.name) == Int64(runs.filter(\.falseFailure).count))
        #expect(total(Metrics.mismatches.name) == Int64(runs.reduce(0) { $0 + $1.mismatchFields.count }))
        #expect(total(Metrics.lines.name) == 918)
    }

    @Test func replayingTheSameFileTwiceChangesNothing() throws {
        let dir = TempDir()
        let first = try snapshot(try replay(Fixture.sampleLog, into: dir.file("l.db")))
        let second = try snapshot(try replay(Fixture.sampleLog, into: dir.file("l.db")))
        #expect(first.runs == second.runs)
        #expect(first.rollups == second.rollups)
    }

    /// Exactly once: stop after every batch (mid-burst included), resume from the saved position and
    /// correlator state, and end exactly where one uninterrupted pass ends.
    @Test func resumingAtEveryBatchBoundaryEqualsOnePass() throws {
        let dir = TempDir()
        let once = try snapshot(try replay(Fixture.sampleLog, into: dir.file("once.db")))
        let text = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let growing = dir.file("growing.log")
        _ = FileManager.default.createFile(atPath: growing, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: growing))
        var written = 0
        // Append the log in uneven pieces, some ending mid-line, reopening the ledger each time.
        var step = 1
        while written < text.utf8.count {
            let piece = Array(text.utf8)[written..<min(text.utf8.count, written + 997 * step)]
            handle.write(Data(piece))
            written += piece.count
            step = step % 7 + 1
            try replay(growing, into: dir.file("pieces.db"), options: utcOptions(batchLines: 5), source: "log")
        }
        try handle.close()
        let pieces = try snapshot(try Ledger(path: dir.file("pieces.db")))
        #expect(lines.count > 900)
        #expect(pieces.runs == once.runs)
        #expect(pieces.rollups == once.rollups)
    }

    /// `tools` (a view for SQL users) shows each run's tools as its record holds them, also when runs are
    /// written again batch after batch with their tools growing.
    @Test func theToolsViewMatchesEveryRecordWhateverTheBatchSize() throws {
        let dir = TempDir()
        for (name, lines) in [("small", 5), ("default", 100_000)] {
            let ledger = try replay(
                Fixture.sampleLog, into: dir.file("\(name).db"), options: utcOptions(batchLines: lines), source: "log")
            var rows: [String: [String: Int64]] = [:]
            try ledger.db.prepare("SELECT run_id, tool, uses FROM tools").query { row in
                rows[row.text(0), default: [:]][row.text(1)] = row.int(2)
            }
            let records = try ledger.runs()
            let expected = Dictionary(
                uniqueKeysWithValues: records.filter { !$0.tools.isEmpty }.map { r in
                    (r.runId, Dictionary(uniqueKeysWithValues: r.tools.map { ($0.name, $0.uses) }))
                })
            #expect(expected.count > 10, "\(name): the sample has runs with tools")
            #expect(rows == expected, "\(name)")
        }
    }

    /// A ledger of schema 3 kept tool rows in a table of their own; opening it for writing replaces the
    /// table with the view over the records, and a reader sees the records' tools, nothing stale.
    @Test func aLedgerOfSchemaThreeGetsTheToolsViewInPlaceOfItsTable() throws {
        let dir = TempDir()
        let path = dir.file("l.db")
        let written = try replay(Fixture.sampleLog, into: path)
        try written.db.exec(
            """
            DROP VIEW tools;
            CREATE TABLE tools (
                run_id TEXT NOT NULL, tool TEXT NOT NULL, uses INTEGER NOT NULL, PRIMARY KEY (run_id, tool)
            ) WITHOUT ROWID;
            INSERT INTO tools VALUES ('no-such-run', 'Stale', 9);
            UPDATE meta SET value = '3' WHERE key = 'schema_version';
            """)
        let migrated = try Ledger(path: path)
        var kind = ""
        try migrated.db.prepare("SELECT type FROM sqlite_master WHERE name = 'tools'").query { kind = $0.text(0) }
        #expect(kind == "view")
        var rows: [String] = []
        try migrated.db.prepare("SELECT run_id, tool, uses FROM tools ORDER BY run_id, tool").query {
            rows.append("\($0.text(0)) \($0.text(1)) \($0.int(2))")
        }
        let expected = try migrated.runs().flatMap { r in r.tools.map { "\(r.runId) \($0.name) \($0.uses)" } }.sorted()
        #expect(rows.count > 50)
        #expect(rows == expected)
    }

    @Test func aReplacedFileIsReadFromItsStart() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let start = { (run: String, db: String) in
            "2025-06-19 18:00:00,000 - a - INFO - 📝 \u{1B}[92mCreated workflow run record \(db) for run_id \(run)\u{1B}[0m\n"
        }
        try start("aaaaaaaa-0000-4000-8000-000000000001", "d1").write(toFile: log, atomically: true, encoding: .utf8)
        try replay(log, into: dir.file("l.db"))
        // Rotated: a new file under the same name, shorter than the offset read before.
        try start("aaaaaaaa-0000-4000-8000-000000000002", "d2").write(toFile: log, atomically: true, encoding: .utf8)
        let ledger = try Ledger(path: dir.file("l.db"))
        let ingest = FileIngest(
            path: log, sourceName: "log", writer: LedgerWriter(store: ledger), options: utcOptions())
        try ingest.open()
        try ingest.readAvailable()
        #expect(ingest.notices.first?.contains("not the file read before") == true)
        #expect(
            try ledger.runs().map(\.runId) == [
                "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002",
            ])
    }

    @Test func badLinesAreCountedAndNeverStopTheReader() throws {
        let dir = TempDir()
        let log = dir.file("bad.log")
        let run = "aaaaaaaa-0000-4000-8000-000000000001", db = "bbbbbbbb-0000-4000-8000-000000000001"
        var text = ""
        text +=
            "2025-06-19 18:00:00,000 - a - INFO - 📝 \u{1B}[92mCreated workflow run record \(db) for run_id \(run)\u{1B}[0m\n"
        text +=
            "2025-06-19 18:00:01,000 - a - INFO - 📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $abc, Turns: 4\u{1B}[0m\n"
        text += "garbage \u{0} with a NUL\n"
        text += String(repeating: "z", count: 2_000_000) + "\n"
        text +=
            "2025-06-19 18:00:02,000 - a - INFO - 📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $0.2500, Turns: 3\u{1B}[0m\n"
        text +=
            "2025-06-19 18:00:03,000 - a - INFO - 📝 \u{1B}[92mSDK Executor: Processing 4 collected messages for data extraction\u{1B}[0m\n"
        text +=
            "2025-06-19 18:00:04,000 - a - INFO - 📝 \u{1B}[92mUpdated session s with final status: completed (workflow_run_id: \(db))\u{1B}[0m\n"
        try text.write(toFile: log, atomically: true, encoding: .utf8)
        let ledger = try replay(log, into: dir.file("l.db"))
        let r = try #require(try ledger.run(run))
        #expect(r.cost == 250_000_000)
        #expect(r.turnCount == 3)
        #expect(r.currentStatus == .completed)
        let rollups = try ledger.rollups()
        #expect(rollups[SeriesKey(Metrics.lines.name, ["log", "malformed"])] == 3)
        #expect(rollups[SeriesKey(Metrics.lines.name, ["log", "matched"])] == 4)
    }

    @Test func unattributedFactsCountUnderUnknown() throws {
        let dir = TempDir()
        let log = dir.file("orphan.log")
        // A burst whose end anchor names a run that started before the log began.
        let text = """
            2025-06-19 18:00:01,000 - a - INFO - 📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $0.7500, Turns: 6\u{1B}[0m
            2025-06-19 18:00:04,000 - a - INFO - 📝 \u{1B}[92mUpdated session s with final status: completed (workflow_run_id: nobody)\u{1B}[0m

            """
        try text.write(toFile: log, atomically: true, encoding: .utf8)
        let ledger = try replay(log, into: dir.file("l.db"))
        #expect(try ledger.runCount() == 0)
        #expect(try ledger.unattributedCount() == 1)
        #expect(try ledger.rollups()[SeriesKey(Metrics.cost.name, ["unknown"])] == 750_000_000)
    }

    @Test func liveMetricsStartFromTheRollupsAndFollowCommits() throws {
        let dir = TempDir()
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"))
        let metrics = LiveMetrics(
            rollups: try ledger.rollups(), workflows: ["builder", "claude"], sources: ["log"],
            build: .unknown(version: "t"))
        #expect(metrics.value(SeriesKey(Metrics.cost.name, ["builder"])) == 2.8443)
        metrics.apply([SeriesKey(Metrics.cost.name, ["builder"]): -2_844_300_000])
        #expect(metrics.value(SeriesKey(Metrics.cost.name, ["builder"])) == 0)
        let text = metrics.render()
        #expect(text.contains("agent_workflow_cost_usd_total{workflow=\"builder\"} 0\n"))
        #expect(text.contains("agent_workflow_runs_started_total{workflow=\"claude\"} 0\n"))  // known, never seen
        #expect(text.contains("# TYPE agent_workflow_run_cost_usd histogram"))
        // The histograms' text is kept between scrapes; a commit must show in the next one.
        let count = "agent_workflow_run_turns_count{workflow=\"claude\"} "
        #expect(text.contains(count + "0\n"))
        #expect(metrics.render() == text)
        metrics.apply([
            SeriesKey("agent_workflow_run_turns_count", ["claude"]): 1,
            SeriesKey("agent_workflow_run_turns_bucket", ["claude", "+Inf"]): 1,
        ])
        let after = metrics.render()
        #expect(after.contains(count + "1\n"))
        #expect(after.contains("agent_workflow_run_turns_bucket{workflow=\"claude\",le=\"+Inf\"} 1\n"))
    }
}

/// The outbox's hand-written alert JSON is what `JSONEncoder` writes (sorted keys).
@Suite struct AlertJSONTests {
    @Test func matchesJSONEncoder() throws {
        let e = JSONEncoder()
        // The hand-written form leaves `/` unescaped (worktree paths); JSON reads both alike.
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for alert in [
            Alert(
                kind: .reportingMismatch, runId: "r-1", workflow: "builder", status: "completed", costNano: 409_300_000,
                turns: 10, tools: 3, totalTokens: 1234, mismatch: ["log": ["cost", "turns"], "db": ["cost"]],
                budgetNano: nil, raisedAtMs: 1_750_000_000_000),
            Alert(
                kind: .costBudget, runId: "r \"2\"", workflow: "unknown", status: "failed", costNano: 5, turns: 0,
                tools: 0, totalTokens: 0, mismatch: [:], budgetNano: 4, raisedAtMs: nil),
            Alert(
                kind: .stalledRun, runId: "r-3", workflow: "surgeon", status: "running", costNano: 7, turns: 2,
                tools: 1, totalTokens: 9, mismatch: [:], budgetNano: nil, raisedAtMs: 2_000, quietForMs: 1_800_000),
            Alert(
                kind: .falseFailure, runId: "r-4", workflow: "builder", status: "failed", costNano: 7, turns: 2,
                tools: 1, totalTokens: 9, mismatch: [:], budgetNano: nil, raisedAtMs: 2_000,
                uncommittedWork: "uncommitted work in /srv/worktrees/builder_run_1 on builder/run_1"),
        ] {
            #expect(Ledger.alertJSON(alert) == String(decoding: try e.encode(alert), as: UTF8.self))
            #expect(try JSONDecoder().decode(Alert.self, from: Data(Ledger.alertJSON(alert).utf8)) == alert)
        }
    }
}
