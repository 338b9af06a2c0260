import Foundation
import Testing

/// Issue 13, finding 1, end to end: lines that killed `replay` (exit 132, a trapped overflow) and made
/// every later `metrics` and restart die the same way. They are malformed now, with the line named,
/// and the ledger around them is sound.
@Suite struct CraftedLineTests {
    @Test func linesWithImpossibleNumbersAreMalformedAndNothingDies() throws {
        let dir = TempDir()
        var lines: [String] = []
        for i in 1...10 {
            let db = "3b1f0c52-8e0d-4c3a-9a57-2f6d1c0b7e4\(i % 10)", run = "6fa6ada1-dc7e-465b-85a8-8f005518f9\(10 + i)"
            lines += [
                "2025-06-19 18:15:0\(i % 10),000 - src.agents.claude_code.agent - INFO - Created workflow run record \(db) for run_id \(run)",
                "2025-06-19 18:15:0\(i % 10),100 - src.agents.claude_code.sdk_executor - INFO - SDK Executor: Captured final metrics during streaming - Cost: $0.1000, Turns: 999999999999999999",
                "2025-06-19 18:15:0\(i % 10),110 - src.agents.claude_code.sdk_executor - DEBUG - Claude output: {\"type\":\"result\",\"num_turns\":3,\"total_cost_usd\":0.5,\"usage\":{\"input_tokens\":-5}}",
                "2025-06-19 18:15:0\(i % 10),120 - src.agents.claude_code.sdk_executor - INFO - SDK Executor: Captured final metrics during streaming - Cost: $9223372036.85, Turns: 4",
                "2025-06-19 18:15:0\(i % 10),200 - src.agents.claude_code.agent - INFO - Updated session s-\(i) with final status: completed (workflow_run_id: \(db))",
                "2025-06-19 18:15:0\(i % 10),300 - src.agents.claude_code.agent - INFO - Background workflow builder completed: True",
            ]
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("x.log"), atomically: true, encoding: .utf8)
        for pass in 1...2 {  // the second pass is a restart: it must read nothing again and not die
            let replay = try runledger("replay", "--db", dir.file("l.db"), "--utc-offset", "Z", dir.file("x.log"))
            #expect(replay.status == 0, "pass \(pass): \(replay.stderr)")
            if pass == 1 { #expect(replay.stderr.contains("x.log:"), "the malformed line is named: \(replay.stderr)") }
        }
        let metrics = try runledger("metrics", "--db", dir.file("l.db"))
        #expect(metrics.status == 0, "\(metrics.stderr)")
        let m = samples(metrics.stdout)
        #expect(m["runledger_lines_total{source=\"\(dir.file("x.log"))\",result=\"malformed\"}"] == 30)
        #expect(m["agent_workflow_runs_finished_total{workflow=\"builder\",status=\"completed\"}"] == 10)
        #expect(m["agent_workflow_turns_total{workflow=\"builder\"}"] == 0)
        #expect(m["agent_workflow_cost_usd_total{workflow=\"builder\"}"] == 0)
    }
}
