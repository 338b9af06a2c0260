import Foundation
import TestSupport
import Testing

/// The pages in a real browser (Debian's headless Chromium through chromium-driver and python3-selenium,
/// driven by Tests/browser/pages.py): the landing page's totals, the list filtered to false failures with
/// its form, a run page's verdict, mismatch table and workspace, and a run whose workflow and tool names are
/// HTML shown as text. Screenshots go to .build/screenshots/ for a person to look at.
@Suite(.tags(.slow)) struct BrowserTests {
    static let screenshots = Paths.root.appendingPathComponent(".build/screenshots").path

    /// A run the executor could log (HEAD's stream-json lines, as in CorrelatorTests) whose workflow name,
    /// taken from `Created individual log file: {workflow_name}_{session}.log`
    /// (automagik/agents/claude_code/sdk_execution_strategies.py @ d43e7af3), and tool name, taken from the
    /// Claude CLI's tool_use block, are markup that would run if a page pasted them in unescaped.
    static let craftedRun = "c0ffee00-0000-4000-8000-00000000b00b"
    static let craftedWorkflow = #"<img src=x onerror="window.__injected=1">"#
    static let craftedTool = #"<b id=injected>Bash</b><script>window.__injected=2</script>"#

    static func craftedLog() -> String {
        let session = "5e551000-0000-4000-8000-00000000b00b"
        let info = "📝 \u{1B}[92m", debug = "🔍 \u{1B}[94m", reset = "\u{1B}[0m"
        func line(_ time: String, _ message: String, level: String = "INFO") -> String {
            "2025-06-19 19:00:\(time) - automagik.agents.claude_code.sdk_executor - \(level) - "
                + "\(level == "DEBUG" ? debug : info)\(message)\(reset)"
        }
        let tool = craftedTool.replacingOccurrences(of: "\"", with: "\\\"")
        return [
            line("00,100", "Created workflow run record 70a20140-db5a-41bc-adc3-dcbe08c6b00b for run_id \(craftedRun)"),
            line(
                "00,200", "SDK Executor: Starting stream-json execution for run_id: \(craftedRun), session: \(session)"),
            line("00,300", "Created individual log file: \(craftedWorkflow)_\(session).log"),
            line(
                "01,000",
                #"Claude output: {"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"\#(tool)","input":{}}]},"session_id":"\#(session)"}"#,
                level: "DEBUG"),
            line(
                "02,000",
                #"Claude output: {"type":"result","num_turns":7,"total_cost_usd":0.4321,"session_id":"\#(session)","usage":{"input_tokens":41,"output_tokens":1673,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#,
                level: "DEBUG"),
            line(
                "02,100", "SDK streaming failed with TaskGroup error: unhandled errors in a TaskGroup (1 sub-exception)"
            ),
            line("02,200", "Updated workflow_runs table for \(craftedRun) to failed"),
        ].joined(separator: "\n") + "\n"
    }

    func runs(_ serve: ServeProcess, _ query: String) throws -> [[String: Any]] {
        let body = try #require(serve.get("/api/runs" + query)?.body)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
    }

    @Test(.timeLimit(.minutes(3))) func anOperatorGoesFromTheTotalsToTheLostWork() throws {
        let dir = TempDir()
        let crafted = dir.file("crafted.log")
        try Self.craftedLog().write(toFile: crafted, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog, crafted], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port != 0, "serve did not start: \(serve.stderr)")
        try #require(
            serve.waitFor("/api/runs?limit=1000", within: 45) {
                $0.contains(Self.craftedRun) && $0.contains("4aac273c")
            } != nil,
            "serve did not read both logs: \(serve.stderr)")
        let falseFailures = try runs(serve, "?false_failure=1&limit=1000")
        let craftedRecord = try #require(try runs(serve, "?q=\(Self.craftedRun)").first)
        #expect(craftedRecord["false_failure"] as? Bool == true, "the crafted run is meant to be a false failure")
        #expect(craftedRecord["workflow"] as? String == Self.craftedWorkflow)
        // A false failure of the sample whose log reports disagree with the logs.
        let sampleRun = try #require(falseFailures.first { ($0["run_id"] as! String).hasPrefix("55df2f23") })
        let completed = try runs(serve, "?status=completed&limit=1")
        let plainRun = try #require(completed.first?["run_id"] as? String)
        let mismatchedCells = (sampleRun["mismatch"] as! [String: [String]]).values.map(\.count).reduce(0, +)
        #expect(mismatchedCells > 0)
        var expectedRun: [String: Any] = ["id": sampleRun["run_id"]!, "mismatched_cells": mismatchedCells]
        // Where the work is, as the run's record says it (docs/workspace.md): the page must show it.
        let worktree = try #require(sampleRun["worktree"] as? String)
        let branch = try #require(sampleRun["branch"] as? String)
        expectedRun["workspace"] = [worktree, branch]
        expectedRun["lost_work"] = [try #require(sampleRun["uncommitted_work"] as? String)]
        let expected: [String: Any] = [
            "false_failures": falseFailures.count, "run": expectedRun, "plain": plainRun,
            "crafted": [
                "id": Self.craftedRun, "workflow": Self.craftedWorkflow, "tool": Self.craftedTool,
                "workflow_query": Self.craftedWorkflow.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            ],
        ]
        let expectedPath = dir.file("expected.json")
        try JSONSerialization.data(withJSONObject: expected).write(to: URL(fileURLWithPath: expectedPath))
        try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
        let script = Paths.root.appendingPathComponent("Tests/browser/pages.py").path
        let r = try run(
            "/usr/bin/python3", [script, "http://127.0.0.1:\(serve.port)", Self.screenshots, expectedPath],
            timeout: 150, environment: ["TZ": "Europe/Berlin"])
        #expect(r.status == 0, "\(r.stderr)")
        let shots = r.stdout.split(separator: "\n").map(String.init)
        #expect(shots.count == 4, "\(r.stdout)")
        for shot in shots {
            let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(shot) is \(size) bytes")
        }
    }
}
