import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// Following files by name: rotation, copytruncate, delete and re-create, partial lines, globs.
/// Each pass is driven by hand, so the tests are exact and need no timing.
@Suite struct FollowerTests {
    let run = "aaaaaaaa-0000-4000-8000-00000000000a", db = "dddddddd-0000-4000-8000-00000000000a"

    func line(_ message: String) -> String {
        "2025-06-19 18:00:00,000 - src.agents.claude_code.sdk_executor - INFO - 📝 \u{1B}[92m\(message)\u{1B}[0m\n"
    }
    var startLine: String { line("Created workflow run record \(db) for run_id \(run)") }
    var metricsLine: String { line("SDK Executor: Captured final metrics during streaming - Cost: $0.7500, Turns: 6") }
    var processingLine: String { line("SDK Executor: Processing 4 collected messages for data extraction") }
    var endLine: String { line("Updated session s with final status: completed (workflow_run_id: \(db))") }

    func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try h.close()
    }

    func lines(_ ledger: Ledger, _ source: String) throws -> Int64 {
        try ledger.rollups().filter { $0.key.name == Metrics.lines.name && $0.key.labels.first == source }.values
            .reduce(0, +)
    }

    @Test func renameRotationDrainsTheOldFileBeforeTheNewOne() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions())
        try append(startLine, to: log)
        f.pass { _ in }
        // The executor writes the burst, then logrotate renames the file and a new one starts.
        try append(metricsLine + processingLine, to: log)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try append(endLine, to: log)
        var notices: [String] = []
        f.pass { notices += $0.notices }
        let r = try #require(try ledger.run(run))
        #expect(r.cost == 750_000_000)  // the old file's tail was read before the new file's end anchor
        #expect(r.currentStatus == .completed)
        #expect(r.attribution == .burst)
        #expect(notices.contains { $0.contains("replaced") })
        #expect(try lines(ledger, log) == 4)
    }

    @Test func aFileRotatedWhileNotFollowedHasItsTailReadFirst() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        try append(startLine + metricsLine, to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
        // RunLedger is down: the executor writes on, logrotate renames, the executor writes the end.
        try append(processingLine, to: log)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try append(endLine, to: log)
        var notices: [String] = []
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass {
            notices += $0.notices
        }
        #expect(notices.contains { $0.contains("rotated while not followed") })
        let r = try #require(try ledger.run(run))
        #expect(r.cost == 750_000_000)
        #expect(r.currentStatus == .completed)
        #expect(r.attribution == .burst)  // the burst spanned both files and stayed whole
        #expect(try lines(ledger, log) == 4)
    }

    @Test func severalRotationsWhileNotFollowedAreReadInOrder() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        try append(startLine, to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
        // Down through two numbered rotations (logrotate shifts x.log.1 to x.log.2): the burst spans
        // the file read before, the file written in between, and the current file.
        try append(metricsLine, to: log)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        usleep(20_000)
        try append(processingLine, to: log)
        try FileManager.default.moveItem(atPath: log + ".1", toPath: log + ".2")
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        usleep(20_000)
        try append(endLine, to: log)
        var notices: [String] = []
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass {
            notices += $0.notices
        }
        #expect(notices.contains { $0.contains("x.log.2, ") && $0.contains("x.log.1") })
        let r = try #require(try ledger.run(run))
        #expect(r.cost == 750_000_000)
        #expect(r.currentStatus == .completed)
        #expect(r.attribution == .burst)
        #expect(try lines(ledger, log) == 4)
    }

    @Test func aFileRotatedBeforeItsFirstBatchCommittedIsNotSkipped() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        try append(startLine + metricsLine, to: log)
        // Opened, then killed before it read a line: only the position at offset 0 is saved.
        let first = FileIngest(path: log, sourceName: log, writer: LedgerWriter(store: ledger), options: utcOptions())
        try first.open()
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try append(processingLine + endLine, to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
        #expect(try ledger.run(run)?.cost == 750_000_000)
        #expect(try ledger.run(run)?.currentStatus == .completed)
        #expect(try lines(ledger, log) == 4)
    }

    @Test func copytruncateRestartsAtTheBeginning() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions())
        try append(startLine + metricsLine + processingLine, to: log)
        f.pass { _ in }
        // copytruncate: the content is copied away and the file cut to zero; the executor writes on.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try h.truncate(atOffset: 0)
        try h.close()
        try append(endLine, to: log)
        var notices: [String] = []
        f.pass { notices += $0.notices }
        #expect(notices.contains { $0.contains("truncated") })
        #expect(try ledger.run(run)?.currentStatus == .completed)
        #expect(try ledger.run(run)?.cost == 750_000_000)
        #expect(try lines(ledger, log) == 4)  // nothing read twice
    }

    @Test func aTruncationHiddenByNewWritesIsStillNoticed() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions())
        try append(line("Node.js detected and available for execution"), to: log)
        f.pass { _ in }
        // Cut to zero and refilled beyond the old offset between two passes.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try h.truncate(atOffset: 0)
        try h.close()
        try append(startLine + metricsLine + processingLine + endLine, to: log)
        f.pass { _ in }
        #expect(try ledger.run(run)?.cost == 750_000_000)
        #expect(try ledger.run(run)?.currentStatus == .completed)
        #expect(try lines(ledger, log) == 5)
    }

    @Test func aDeletedFileIsFollowedAgainWhenItIsRecreated() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions())
        try append(startLine + metricsLine, to: log)
        f.pass { _ in }
        try FileManager.default.removeItem(atPath: log)
        var updates: [SourceUpdate] = []
        f.pass { updates.append($0) }
        #expect(updates.last?.up == true)  // the open file is still readable; nothing was lost
        try append(processingLine + endLine, to: log)
        f.pass { _ in }
        #expect(try ledger.run(run)?.cost == 750_000_000)
        #expect(try ledger.run(run)?.currentStatus == .completed)
    }

    @Test func aPartialLineIsHeldUntilItsNewlineArrives() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions())
        let whole = startLine
        let cut = whole.utf8.count / 2
        try append(String(decoding: Array(whole.utf8)[..<cut], as: UTF8.self), to: log)
        f.pass { _ in }
        #expect(try lines(ledger, log) == 0)
        #expect(try ledger.runCount() == 0)
        try append(String(decoding: Array(whole.utf8)[cut...], as: UTF8.self), to: log)
        f.pass { _ in }
        f.pass { _ in }
        #expect(try lines(ledger, log) == 1)
        #expect(try ledger.runCount() == 1)
        #expect(try ledger.rollups()[SeriesKey(Metrics.lines.name, [log, "malformed"])] == nil)
    }

    @Test func globPatternsPickUpNewFilesAndPerRunFilesNameTheirRun() throws {
        let dir = TempDir()
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [dir.file("run_*.log")], writer: LedgerWriter(store: ledger), options: utcOptions())
        var seen: Set<String> = []
        f.pass { seen.insert($0.source) }
        #expect(seen.isEmpty)
        let first = "11111111-0000-4000-8000-000000000001", second = "22222222-0000-4000-8000-000000000002"
        // Raw stream-json lines name only a session that no line links to a run: the file name does.
        let result = #"{"type":"result","num_turns":3,"total_cost_usd":0.25,"session_id":"never-linked"}"# + "\n"
        try append(result, to: dir.file("run_\(first).log"))
        f.pass { seen.insert($0.source) }
        try append(result, to: dir.file("run_\(second).log"))
        f.pass { seen.insert($0.source) }
        #expect(seen == [dir.file("run_\(first).log"), dir.file("run_\(second).log")])
        #expect(try ledger.run(first)?.cost == 250_000_000)
        #expect(try ledger.run(second)?.turnCount == 3)
        #expect(try ledger.run(first)?.attribution == .exact)
    }

    @Test func runIdsAreTakenOnlyFromPerRunFileNames() {
        #expect(
            FileIngest.runId(inFileName: "/x/logs/run_6fa6ada1-dc7e-465b-85a8-8f005518f95b.log")
                == "6fa6ada1-dc7e-465b-85a8-8f005518f95b")
        #expect(FileIngest.runId(inFileName: "run_abc123.jsonl") == "abc123")
        #expect(FileIngest.runId(inFileName: "/var/log/debug.log") == nil)
        #expect(FileIngest.runId(inFileName: "run_.log") == nil)
        #expect(FileIngest.runId(inFileName: "run_a b.log") == nil)
    }
}

/// Counters never go down when a run's workflow is named after the run has been read.
@Suite struct CounterMonotonicityTests {
    let run = "aaaaaaaa-0000-4000-8000-0000000000b1", db = "dddddddd-0000-4000-8000-0000000000b1"

    func line(_ message: String, logger: String = "src.agents.claude_code.agent") -> String {
        "2025-06-19 18:00:00,000 - \(logger) - INFO - 📝 \u{1B}[92m\(message)\u{1B}[0m\n"
    }

    func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try h.close()
    }

    @Test func aWorkflowNamedInALaterReadDoesNotMoveCounts() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        let writer = LedgerWriter(store: ledger)
        let f = Follower(patterns: [log], writer: writer, options: utcOptions())
        var history: [SeriesValues] = []
        var totals: SeriesValues = [:]
        writer.observe { totals.add($0.changes) }
        func pass() {
            f.pass { _ in }
            history.append(totals)
        }
        try append(line("Created workflow run record \(db) for run_id \(run)"), to: log)
        pass()
        try append(line("SDK Executor: Captured final metrics during streaming - Cost: $0.5000, Turns: 3"), to: log)
        try append(line("SDK Executor: Processing 4 collected messages for data extraction"), to: log)
        try append(line("Updated session s with final status: completed (workflow_run_id: \(db))"), to: log)
        pass()
        try append(line("Background workflow surgeon completed: True"), to: log)  // named in a later read
        pass()
        // No counter series ever went down between reads.
        for (before, after) in zip(history, history.dropFirst()) {
            for (key, v) in before where Contribution.spec(of: key)?.type != .gauge {
                #expect((after[key] ?? 0) >= v, "\(key.name)\(key.labels) went from \(v) to \(after[key] ?? 0)")
            }
        }
        #expect(totals[SeriesKey(Metrics.cost.name, ["surgeon"])] == 500_000_000)
        #expect((totals[SeriesKey(Metrics.cost.name, ["unknown"])] ?? 0) == 0)
        #expect(totals[SeriesKey(Metrics.runsStarted.name, ["surgeon"])] == 1)
    }

    @Test func aRunNeverNamedIsCountedAsUnknownAfterThePostEndWindow() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let ledger = try Ledger(path: dir.file("l.db"))
        var text = line("Created workflow run record \(db) for run_id \(run)")
        text += line("SDK Executor: Captured final metrics during streaming - Cost: $0.5000, Turns: 3")
        text += line("Updated session s with final status: completed (workflow_run_id: \(db))")
        try append(text, to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
        #expect(try ledger.rollups()[SeriesKey(Metrics.cost.name, ["unknown"])] == nil)  // not settled yet
        try append(String(repeating: line("Node.js detected and available for execution"), count: 250), to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
        #expect(try ledger.rollups()[SeriesKey(Metrics.cost.name, ["unknown"])] == 500_000_000)
        #expect(try ledger.rollups()[SeriesKey(Metrics.runsFinished.name, ["unknown", "completed"])] == 1)
    }
}
