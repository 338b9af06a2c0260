import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// Issue 13, finding 5: a run that never ends rewrote its whole correlator state at every commit (2.2 MB
/// for a 20k-line open burst; 10 lines a second cost 422 MiB written in 20 s). Open bursts' facts are now
/// rows appended as they come, apart from the state, and those rows carry the burst across a restart.
///
/// The lines are the executor's own, copied from the bundled sample (`examples/executor.log`, written
/// in the format of `src/agents/claude_code/sdk_executor.py` and `agent.py` at the audit's commits).
@Suite struct OpenBurstTests {
    static let start =
        "2025-06-19 18:00:00,114 - src.agents.claude_code.agent - INFO - 📝 \u{1b}[92mCreated workflow run record 1e81868b-1e74-45db-851e-b49875416896 for run_id 476a6bde-947e-4dad-a5c9-e32997b7dcda\u{1b}[0m\n"
    /// One tool per line, each named apart (the line names a tool; a run's record lists the tools named).
    static func tool(_ i: Int) -> String {
        "2025-06-19 18:00:00,419 - src.agents.claude_code.sdk_executor - INFO - 📝 \u{1b}[92mSDK Executor: Captured tool usage - mcp__tool_\(i) (id: toolu_\(String(format: "%020d", i)))\u{1b}[0m\n"
    }
    static let end =
        "2025-06-19 18:00:00,475 - src.agents.claude_code.agent - INFO - 📝 \u{1b}[92mUpdated session 87889307-3184-41b0-a1f4-b1072d5b3f0f with final status: completed (workflow_run_id: 1e81868b-1e74-45db-851e-b49875416896)\u{1b}[0m\n"
    static let runId = "476a6bde-947e-4dad-a5c9-e32997b7dcda"

    func append(_ text: String, to path: String) throws {
        let h = try #require(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try h.close()
    }

    func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    func openBurstRows(_ ledger: Ledger) throws -> Int64 {
        var n: Int64 = 0
        try ledger.db.prepare("SELECT count(*) FROM open_burst_facts").query { n = $0.int(0) }
        return n
    }

    @Test func aCommitWritesWhatTheOpenBurstAddedNotWhatItHolds() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        try (Self.start + (0..<5000).map(Self.tool).joined()).write(toFile: log, atomically: true, encoding: .utf8)
        let ledger = try Ledger(path: dir.file("l.db"))
        // The WAL only grows while nothing checkpoints it: its growth is what each commit wrote.
        try ledger.db.exec("PRAGMA wal_autocheckpoint = 0")
        let follower = Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions())
        follower.pass { _ in }
        #expect(try openBurstRows(ledger) == 5000)
        var grew: [Int64] = []
        for i in 0..<10 {
            let before = fileSize(dir.file("l.db-wal"))
            try append(Self.tool(5000 + i), to: log)
            follower.pass { _ in }
            grew.append(fileSize(dir.file("l.db-wal")) - before)
        }
        // Before: each of these commits wrote the whole state again, about 600 KB of it (5,000 facts).
        // Now: a few pages (a row appended, the position's row, the tree's pages above them).
        #expect(grew.allSatisfy { $0 < 48 * 1024 }, "bytes written per commit: \(grew)")
        var stateBytes: Int64 = 0
        try ledger.db.prepare("SELECT length(correlator) FROM positions").query { stateBytes = $0.int(0) }
        #expect(stateBytes < 4096, "the saved state still holds the burst: \(stateBytes) bytes")
        #expect(try openBurstRows(ledger) == 5010)
    }

    @Test func anOpenBurstSurvivesARestartAndGoesToItsRunWhenItEnds() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        try (Self.start + (0..<300).map(Self.tool).joined()).write(toFile: log, atomically: true, encoding: .utf8)
        do {
            let ledger = try Ledger(path: dir.file("l.db"))
            Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
            #expect(try openBurstRows(ledger) == 300)
        }
        try append((300..<320).map(Self.tool).joined() + Self.end, to: log)
        let ledger = try Ledger(path: dir.file("l.db"))
        Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
        let run = try #require(try ledger.run(Self.runId))
        #expect(run.currentStatus == .completed)
        #expect(run.tools.count == 320, "the tools of the burst's lines before and after the restart")
        #expect(try openBurstRows(ledger) == 0, "a closed burst leaves no rows behind")
    }

    /// A ledger written before open bursts were kept apart holds them inside the saved state: they are
    /// read from there, moved to the table at the next commit, and nothing is lost or counted twice.
    @Test func aStateSavedWithItsBurstInsideIsReadAndMoved() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let db = dir.file("l.db")
        try (Self.start + (0..<40).map(Self.tool).joined()).write(toFile: log, atomically: true, encoding: .utf8)
        do {
            let ledger = try Ledger(path: db)
            Follower(patterns: [log], writer: LedgerWriter(store: ledger), options: utcOptions()).pass { _ in }
            // Back to schema 4's form: the facts inside the state (its `Codable` form), no segment ids.
            let saved = try #require(try ledger.positions().first)
            var old = try #require(
                try JSONSerialization.jsonObject(with: JSONEncoder().encode(saved.correlator)) as? [String: Any])
            old["nextSegmentId"] = nil
            old["segments"] = (old["segments"] as? [[String: Any]])?.map { s in s.filter { $0.key != "id" } }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: old), as: UTF8.self)
            try ledger.db.prepare("UPDATE positions SET correlator = ?").run([.text(text)])
            try ledger.db.exec("DROP TABLE open_burst_facts; UPDATE meta SET value = '4' WHERE key = 'schema_version'")
        }
        // Read-only (as `runledger metrics` opens it), nothing migrates: the facts are read from the state.
        let reader = try Ledger(path: db, readOnly: true)
        #expect(try reader.positions().first?.correlator.segments.map(\.facts.count) == [40])
        let reopened = try Ledger(path: db)
        let restored = try #require(try reopened.positions().first)
        #expect(restored.correlator.segments.map(\.facts.count) == [40])
        try append(Self.tool(40), to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: reopened), options: utcOptions()).pass { _ in }
        #expect(try openBurstRows(reopened) == 41, "moved to the table at the next commit")
        try append(Self.end, to: log)
        Follower(patterns: [log], writer: LedgerWriter(store: reopened), options: utcOptions()).pass { _ in }
        #expect(try reopened.run(Self.runId)?.tools.count == 41)
    }
}
