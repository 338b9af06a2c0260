import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// A reload's new source set and alerting, applied by the follower between passes
/// (`Follower.reconfigure`): a kept source keeps its reader, a removed one stops being read and keeps
/// its rows, one added back resumes from its saved position, and the new alerting judges the next commit.
@Suite struct FollowerReloadTests {
    let runX = "aaaaaaaa-0000-4000-8000-00000000000a", dbX = "dddddddd-0000-4000-8000-00000000000a"
    let runY = "bbbbbbbb-0000-4000-8000-00000000000b", dbY = "eeeeeeee-0000-4000-8000-00000000000b"

    // sdk_executor.py and workflow_service.py lines, as FollowerTests has them.
    func line(_ message: String) -> String {
        "2025-06-19 18:00:00,000 - src.agents.claude_code.sdk_executor - INFO - 📝 \u{1B}[92m\(message)\u{1B}[0m\n"
    }
    func start(_ run: String, _ db: String) -> String { line("Created workflow run record \(db) for run_id \(run)") }
    var burst: String {
        line("SDK Executor: Captured final metrics during streaming - Cost: $0.7500, Turns: 6")
            + line("SDK Executor: Processing 4 collected messages for data extraction")
    }
    func end(_ db: String) -> String { line("Updated session s with final status: completed (workflow_run_id: \(db))") }

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

    @Test func aKeptSourceKeepsItsOpenBurstAndTheNewAlertingRoutesWhatItRaises() throws {
        let dir = TempDir()
        let (x, y) = (dir.file("x.log"), dir.file("y.log"))
        let ledger = try Ledger(path: dir.file("l.db"))
        let f = Follower(patterns: [x, y], writer: LedgerWriter(store: ledger), options: utcOptions())
        try append(start(runX, dbX) + burst, to: x)
        try append(start(runY, dbY), to: y)
        f.pass { _ in }

        // The reload: y is no longer followed, runs over $0.50 raise cost_budget, and sink "s" gets it.
        let alerting = Alerting(detector: AlertDetector(budgetNano: 500_000_000), routes: [AlertRoute(sink: "s")])
        f.reconfigure(SourceChange(patterns: [x], journals: [], journalStart: .end, alerting: alerting))
        try append(end(dbX), to: x)
        try append(burst + end(dbY), to: y)
        var updates: [SourceUpdate] = []
        f.pass { updates.append($0) }

        let r = try #require(try ledger.run(runX))
        #expect(r.cost == 750_000_000 && r.attribution == .burst, "the burst read before the reload is kept")
        let due = try ledger.dueDeliveries(nowMs: .max, limit: 10)
        #expect(due.map(\.sink) == ["s"] && due.map(\.alert.kind) == [.costBudget] && due.first?.alert.runId == runX)
        #expect(updates.contains { $0.source == y && $0.membership == .removed })
        #expect(!updates.contains { $0.source == y && $0.membership == nil }, "y is not read after it is removed")
        #expect(try lines(ledger, y) == 1)
        #expect(try ledger.run(runY)?.currentStatus == .running, "its run stays as it was")

        // Followed again: y resumes from its saved position, each line counted once.
        f.reconfigure(SourceChange(patterns: [x, y], journals: [], journalStart: .end, alerting: alerting))
        updates = []
        f.pass { updates.append($0) }
        #expect(updates.contains { $0.source == y && $0.membership == .added })
        #expect(try lines(ledger, y) == 4)
        #expect(try lines(ledger, x) == 4)
        #expect(try ledger.run(runY)?.cost == 750_000_000)
    }
}
