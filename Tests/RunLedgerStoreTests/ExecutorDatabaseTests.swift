import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerReports
@testable import RunLedgerStore

@Suite struct ExecutorDatabaseTests {
    /// A workflow_runs table as the executor's DDL defines it (the columns RunLedger reads).
    func makeDatabase(_ path: String, rows: [String]) throws {
        let c = try SQLiteConnection(path: path, readOnly: false)
        try c.exec(
            """
            CREATE TABLE workflow_runs (id TEXT PRIMARY KEY, run_id TEXT UNIQUE NOT NULL, workflow_name TEXT NOT NULL,
              task_input TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', cost_estimate REAL,
              input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0, total_tokens INTEGER DEFAULT 0,
              metadata TEXT DEFAULT '{}');
            """ + rows.joined(separator: "\n"))
    }

    @Test func emptyFieldsAreNotReportedAndRunningRowsAreNotRead() throws {
        let dir = TempDir()
        let path = dir.file("workflow_runs.db")
        try makeDatabase(
            path,
            rows: [
                "INSERT INTO workflow_runs VALUES ('1', 'r1', 'builder', 'x', 'completed', NULL, 0, 0, 0, '{}');",
                "INSERT INTO workflow_runs VALUES ('2', 'r2', 'builder', 'x', 'failed', 0.0, 0, 0, 0, '{\"total_turns\": 0, \"tools_used\": []}');",
                "INSERT INTO workflow_runs VALUES ('3', 'r3', 'builder', 'x', 'running', 0.0, 0, 0, 0, '{}');",
            ])
        let reports = try ExecutorDatabase(path: path).reports(for: ["r1", "r2", "r3", "r4"])
        #expect(reports["r1"] == Report(costNano: -1, totalTokens: 0, turns: -1, tools: -1))
        #expect(reports["r2"] == Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0))
        #expect(reports["r3"] == nil)  // a report made while the run runs is not about its result
        #expect(reports["r4"] == nil)

        // Reported as "not known" is never a mismatch, reported as 0 is.
        var r = RunRecord(runId: "r1")
        r.apply(.cost(nano: 5, .report), at: nil, attribution: .burst)
        r.apply(.turns(3, .report), at: nil, attribution: .burst)
        r.apply(.ended(.completed, .correction), at: 1, attribution: .exact)
        r.apply(.report(source: "db", reports["r1"]!), at: nil, attribution: .exact)
        #expect(r.mismatch.isEmpty)
        r.apply(.report(source: "db", reports["r2"]!), at: nil, attribution: .exact)
        #expect(r.mismatch == ["db": ["cost", "turns"]])
    }

    @Test func anotherSchemaIsNamed() throws {
        let dir = TempDir()
        let c = try SQLiteConnection(path: dir.file("x.db"), readOnly: false)
        try c.exec("CREATE TABLE workflow_runs (run_id TEXT, status TEXT)")
        #expect {
            try ExecutorDatabase(path: dir.file("x.db"))
        } throws: { "\($0)".contains("lacks cost_estimate, metadata, total_tokens") }
    }
}
