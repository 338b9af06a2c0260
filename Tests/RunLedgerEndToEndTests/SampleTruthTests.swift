import Foundation
import Testing

/// The foundation's "done when": the shared sample replays to exactly the ledger `truth.json` describes.
@Suite(.serialized) struct SampleTruthTests {
    @Test func replayMatchesTheTruthForEveryRun() throws {
        let dir = TempDir()
        let replay = try runledger("replay", "--db", dir.file("l.db"), "--utc-offset=-03:00", Paths.sampleLog)
        #expect(replay.status == 0, "\(replay.stderr)")
        let out = try runledger("runs", "--db", dir.file("l.db"), "--json")
        #expect(out.status == 0, "\(out.stderr)")
        let runs = try #require(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        let truth = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth))) as? [String: Any])
        let expected = try #require(truth["runs"] as? [String: [String: Any]])
        let byId = Dictionary(uniqueKeysWithValues: runs.map { ($0["run_id"] as! String, $0) })
        #expect(byId.count == expected.count)

        for (id, t) in expected {
            let r = try #require(byId[id], "run \(id) missing")
            #expect(r["status"] as? String == t["status"] as? String, "\(id) status")
            #expect(abs((r["cost_usd"] as? Double ?? -1) - (t["cost_usd"] as! Double)) < 1e-9, "\(id) cost")
            #expect(r["turns"] as? Int == t["turns"] as? Int, "\(id) turns")
            #expect(r["total_tokens"] as? Int == t["total_tokens"] as? Int, "\(id) tokens")
            #expect(r["taskgroup_error"] as? Bool == t["taskgroup_error"] as? Bool, "\(id) taskgroup")
            #expect(r["false_failure"] as? Bool == t["false_failure"] as? Bool, "\(id) false failure")
            #expect(r["workflow"] as? String == t["workflow"] as? String, "\(id) workflow")
            if let tools = t["tools"] as? [String] {
                // truth.json lists each run's distinct tools; their order there is not the log's.
                #expect(Set(r["tools"] as? [String] ?? ["<null>"]) == Set(tools), "\(id) tools")
                #expect((r["tools"] as? [String])?.count == tools.count, "\(id) tools are distinct")
                // The sample predates the audit: its `tool_uses` counts `Captured tool usage` lines, which
                // the executor prints once per new tool (M7). Where the log shows no single use, the
                // ledger says the uses are unknown and those lines count as distinct tools.
                let uses = r["tool_uses"] as? Int ?? r["tool_count"] as? Int
                #expect(uses == t["tool_uses"] as? Int, "\(id) tool uses")
            }
            let mismatch = r["mismatch"] as? [String: [String]] ?? [:]
            #expect((mismatch["log"] ?? []) == (t["mismatch_log"] as? [String] ?? []), "\(id) mismatch")
            for key in ["input_tokens", "output_tokens"] where t[key] != nil {
                #expect(r[key] as? Int == t[key] as? Int, "\(id) \(key)")
            }
        }

        let totals = try #require(truth["totals"] as? [String: Any])
        let cost = runs.reduce(0.0) { $0 + ($1["cost_usd"] as? Double ?? 0) }
        #expect(abs(cost - (totals["cost_usd"] as! Double)) < 1e-6)
        #expect(runs.reduce(0) { $0 + ($1["turns"] as? Int ?? 0) } == totals["turns"] as? Int)
        #expect(runs.reduce(0) { $0 + ($1["total_tokens"] as? Int ?? 0) } == totals["total_tokens"] as? Int)
        #expect(runs.filter { $0["false_failure"] as? Bool == true }.count == totals["false_failures"] as? Int)
        #expect(runs.filter { $0["taskgroup_error"] as? Bool == true }.count == totals["taskgroup_errors"] as? Int)
        #expect(runs.filter { $0["status"] as? String == "completed" }.count == totals["completed"] as? Int)
        #expect(runs.filter { $0["status"] as? String == "failed" }.count == totals["failed"] as? Int)
        #expect(
            runs.reduce(0) {
                $0 + ($1["tool_uses"] as? Int ?? ($1["tools"] is NSNull ? 0 : $1["tool_count"] as? Int ?? 0))
            }
                == totals["tool_uses_named"] as? Int)
    }

    @Test func metricsPassPromtoolAndEqualTheLedgerSums() throws {
        let dir = TempDir()
        _ = try runledger("replay", "--db", dir.file("l.db"), Paths.sampleLog)
        let metrics = try runledger("metrics", "--db", dir.file("l.db"))
        #expect(metrics.status == 0, "\(metrics.stderr)")
        try metrics.stdout.write(toFile: dir.file("m.txt"), atomically: true, encoding: .utf8)
        let promtool = try #require(which("promtool"), "promtool is installed by make test (Debian prometheus)")
        let check = try run("/bin/sh", ["-c", "\(promtool) check metrics < \(dir.file("m.txt"))"])
        #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")

        let s = samples(metrics.stdout)
        func sum(_ prefix: String, _ filter: String = "") -> Double {
            s.filter { $0.key.hasPrefix(prefix + "{") && (filter.isEmpty || $0.key.contains(filter)) }.values.reduce(
                0, +)
        }
        let runs =
            try JSONSerialization.jsonObject(
                with: Data(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout.utf8)) as! [[String: Any]]
        #expect(
            abs(sum("agent_workflow_cost_usd_total") - runs.reduce(0.0) { $0 + ($1["cost_usd"] as! Double) }) < 1e-9)
        #expect(sum("agent_workflow_turns_total") == Double(runs.reduce(0) { $0 + ($1["turns"] as! Int) }))
        #expect(sum("agent_workflow_tokens_total") == Double(runs.reduce(0) { $0 + ($1["total_tokens"] as! Int) }))
        #expect(sum("agent_workflow_runs_started_total") == Double(runs.count))
        for status in ["completed", "failed"] {
            #expect(
                sum("agent_workflow_runs_finished_total", "status=\"\(status)\"")
                    == Double(runs.filter { $0["status"] as? String == status }.count))
        }
        #expect(
            sum("agent_workflow_false_failures_total") == Double(runs.filter { $0["false_failure"] as! Bool }.count))
        #expect(
            sum("agent_workflow_taskgroup_errors_total") == Double(runs.filter { $0["taskgroup_error"] as! Bool }.count)
        )
        for field in ["cost", "tokens", "turns", "tools"] {
            let expected = runs.filter { (($0["mismatch"] as! [String: [String]]).values.joined()).contains(field) }
                .count
            #expect(
                sum("agent_workflow_reporting_mismatches_total", "field=\"\(field)\"") == Double(expected), "\(field)")
        }
        #expect(sum("runledger_lines_total") == 918)
        #expect(sum("agent_workflow_run_cost_usd_count") == Double(runs.count))
        let buildInfo = s.filter { $0.key.hasPrefix("runledger_build_info{version=\"0.1.0\",revision=\"") }
        #expect(buildInfo.count == 1 && buildInfo.values.first == 1, "\(buildInfo)")
    }

    @Test func replayingTwiceChangesNothing() throws {
        let dir = TempDir()
        _ = try runledger("replay", "--db", dir.file("l.db"), Paths.sampleLog)
        let runs1 = try runledger("runs", "--db", dir.file("l.db"), "--json").stdout
        let metrics1 = try runledger("metrics", "--db", dir.file("l.db")).stdout
        let again = try runledger("replay", "--db", dir.file("l.db"), Paths.sampleLog)
        #expect(again.status == 0)
        #expect(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout == runs1)
        #expect(try runledger("metrics", "--db", dir.file("l.db")).stdout == metrics1)
        #expect(!runs1.isEmpty && metrics1.contains("runledger_lines_total"))
    }
}
