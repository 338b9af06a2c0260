import Foundation
import Testing

/// Logs beyond the shared sample: `tools/gen-executor-log.py` (which knows the executor's formats, not
/// RunLedger's code) writes runs of all three releases, interleaved as concurrent threads write them,
/// in the verbose, message-only and journalctl envelopes, with the ledger they must produce.
@Suite struct GeneratedLogTests {
    @Test(arguments: [(seed: 11, envelopes: "verbose"), (seed: 12, envelopes: "mixed"), (seed: 13, envelopes: "mixed")])
    func generatedLogReplaysToItsTruth(seed: Int, envelopes: String) throws {
        let dir = TempDir()
        let python = try #require(which("python3"), "python3 runs the log generator")
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "240", "--seed",
                String(seed),
                "--envelopes", envelopes, "--log", dir.file("x.log"), "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let replay = try runledger("replay", "--db", dir.file("l.db"), "--utc-offset", "Z", dir.file("x.log"))
        #expect(replay.status == 0, "\(replay.stderr)")
        let runs =
            try JSONSerialization.jsonObject(
                with: Data(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout.utf8)) as! [[String: Any]]
        let truth =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("truth.json"))))
            as! [String: Any]
        let expected = truth["runs"] as! [String: [String: Any]]
        let byId = Dictionary(uniqueKeysWithValues: runs.map { ($0["run_id"] as! String, $0) })
        #expect(byId.count == expected.count)
        var wrong: [String] = []
        for (id, t) in expected {
            guard let r = byId[id] else { wrong.append("\(id) missing"); continue }
            let label = "\(id) (\(t["era"]!) \(t["scenario"]!))"
            for key in ["status", "workflow"] where r[key] as? String != t[key] as? String {
                wrong.append("\(label) \(key)")
            }
            for key in ["turns", "total_tokens"] where r[key] as? Int != t[key] as? Int {
                wrong.append("\(label) \(key)")
            }
            for key in ["taskgroup_error", "false_failure"] where r[key] as? Bool != t[key] as? Bool {
                wrong.append("\(label) \(key)")
            }
            if abs((r["cost_usd"] as? Double ?? -1) - (t["cost_usd"] as! Double)) > 1e-9 {
                wrong.append("\(label) cost")
            }
            if let tools = t["tools"] as? [String], Set(r["tools"] as? [String] ?? ["<null>"]) != Set(tools) {
                wrong.append("\(label) tools")
            }
            if let uses = t["tool_uses"] as? Int, r["tool_uses"] as? Int != uses { wrong.append("\(label) tool_uses") }
            let mismatch = (r["mismatch"] as? [String: [String]])?["log"] ?? []
            if mismatch != t["mismatch_log"] as! [String] { wrong.append("\(label) mismatch \(mismatch)") }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
        let metrics = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout)
        let totals = truth["totals"] as! [String: Any]
        #expect(
            metrics["runledger_lines_total{source=\"\(dir.file("x.log"))\",result=\"malformed\"}"]
                == Double(totals["malformed_lines"] as! Int))
        let lines = metrics.filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
        #expect(lines == Double(totals["lines"] as! Int))
    }
}
