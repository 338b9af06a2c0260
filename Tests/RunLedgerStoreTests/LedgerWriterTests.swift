import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// A verbose executor line at `time` (UTC) with `message` (the logger prefix and colours of
/// src/agents/claude_code/ in the executor at 22e45cbe).
private func line(_ time: String, _ message: String) -> String {
    "2025-06-19 \(time),000 - src.agents.claude_code.agent - INFO - 📝 \u{1B}[92m\(message)\u{1B}[0m\n"
}

/// A status API that answers 0 for everything (the executor's reporting bug) and counts its questions.
private final class ZeroReports: ReportSource {
    let name = "api"
    let rereadsReportedRuns = false
    func reports(for runIds: [String]) throws -> ReportAnswer {
        ReportAnswer(
            reports: Dictionary(
                uniqueKeysWithValues: runIds.map { ($0, Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)) }))
    }
}

/// The ledger has one writer (issue 14): the report poller and the stall watch only read, on
/// connections of their own, and hand what they find to the writer, which folds it between two log
/// batches. Before, each had a writing connection and they took turns through a process-wide lock.
@Suite struct LedgerWriterTests {
    /// The log's batch holds run A open (its workflow named by a later line) while the poller, on its
    /// own thread and read-only connection, reports a 0 on it: the poller does not wait, and after the
    /// batch commits the run has both the workflow and the report.
    @Test func reportsFoundWhileALogBatchIsOpenAreFoldedAfterItAndNeitherChangeIsLost() throws {
        let dir = TempDir()
        let db = dir.file("l.db")
        let o = utcOptions()
        let writer = LedgerWriter(store: try Ledger(path: db), options: o)
        let follower = try Ingestor(
            source: "log", writer: writer, profile: o.profile, envelopes: o.envelopes, maxLineBytes: o.maxLineBytes,
            correlator: CorrelatorState())
        var n: Int64 = 0
        func feed(_ text: String) throws {
            n += 1
            try Array(text.utf8.dropLast()).withUnsafeBufferPointer { try follower.process($0, lineNumber: n) }
        }
        try feed(line("18:00:00", "Created workflow run record db-a for run_id run-a"))
        try feed(line("18:05:00", "Updated session s with final status: completed (workflow_run_id: db-a)"))
        try follower.commit(identity: "x", offset: 2, lines: n)
        // sdk_execution_strategies.py: "Background workflow {workflow_name} completed: {success}", after the end.
        try feed(line("18:05:01", "Background workflow builder completed: True"))

        let polled = DispatchSemaphore(value: 0)
        let inbox = writer.inbox
        Thread {
            let poller = ReportPoller(source: ZeroReports(), reader: try! Ledger(path: db, readOnly: true))
            inbox.submit(try! poller.pollOnce().facts)
            polled.signal()
        }.start()
        #expect(polled.wait(timeout: .now() + 10) == .success, "the poller never waits for the log's batch")
        #expect(!writer.inbox.isEmpty)
        #expect(try Ledger(path: db, readOnly: true).run("run-a")?.reported["api"] == nil, "nothing written yet")

        try follower.commit(identity: "x", offset: 3, lines: n)
        #expect(writer.inbox.isEmpty, "the writer folds what waits right after the log's commit")
        let a = try #require(try Ledger(path: db, readOnly: true).run("run-a"))
        #expect(a.workflowName == "builder")
        #expect(a.reported["api"] == Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0))
    }

    /// Observers hear of each commit after its transaction, with its series change: added up, they
    /// equal the ledger's rollups (what the live `/metrics` relies on), outside facts included.
    @Test func observersAddUpToTheLedgersRollups() throws {
        let dir = TempDir()
        let ledger = try Ledger(path: dir.file("l.db"))
        let writer = LedgerWriter(store: ledger, options: utcOptions(batchLines: 40))
        var heard: [String: Int] = [:]
        var total: SeriesValues = [:]
        writer.observe {
            heard[$0.source, default: 0] += 1
            total.add($0.changes)
        }
        let ingest = FileIngest(
            path: Fixture.sampleLog, sourceName: "log", writer: writer, options: utcOptions(batchLines: 40))
        try ingest.open()
        try ingest.readAvailable()
        try writer.apply(try ReportPoller(source: ZeroReports(), reader: ledger).pollOnce().facts)
        #expect((heard["log"] ?? 0) > 5)
        #expect(heard["reports-api"] == 1)
        #expect(total.filter { $0.value != 0 } == (try ledger.rollups()).filter { $0.value != 0 })
    }
}
