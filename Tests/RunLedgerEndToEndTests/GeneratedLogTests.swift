import Foundation
import Testing

/// Logs beyond the shared sample: `tools/gen-executor-log.py` (which knows the executor's formats, not
/// RunLedger's code) writes runs of every release era (bug, fixed, m1, b1, head, head_stream), interleaved
/// as concurrent threads write them, in the verbose, message-only and journalctl envelopes, with the
/// ledger they must produce.
@Suite struct GeneratedLogTests {
    static let eras = ["bug", "fixed", "m1", "b1", "head", "head_stream"]
    static let cases: [(era: String, envelopes: String)] = eras.flatMap { era in
        ["verbose", "mixed"].map { (era: era, envelopes: $0) }
    }

    @Test(arguments: [(seed: 11, envelopes: "verbose"), (seed: 12, envelopes: "mixed"), (seed: 13, envelopes: "mixed")])
    func generatedLogReplaysToItsTruth(seed: Int, envelopes: String) throws {
        #expect(try replayAndCompare(seed: seed, envelopes: envelopes, eras: nil, runs: 240) == 240)
    }

    @Test(arguments: cases)
    func eachEraReplaysToItsTruth(era: String, envelopes: String) throws {
        #expect(try replayAndCompare(seed: 31, envelopes: envelopes, eras: era, runs: 60) == 60)
    }

    /// Replays a generated log and compares every run with its truth; returns the number of runs in the truth.
    @discardableResult
    func replayAndCompare(seed: Int, envelopes: String, eras: String?, runs count: Int) throws -> Int {
        let dir = TempDir()
        let python = try #require(which("python3"), "python3 runs the log generator")
        var args = [
            Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", String(count), "--seed",
            String(seed), "--envelopes", envelopes, "--log", dir.file("x.log"), "--truth", dir.file("truth.json"),
        ]
        if let eras { args += ["--eras", eras] }
        let gen = try run(python, args)
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
        for (id, t) in expected.sorted(by: { $0.key < $1.key }) {
            guard let r = byId[id] else { wrong.append("\(id) (\(t["era"]!) \(t["scenario"]!)) missing"); continue }
            let label = "\(id) (\(t["era"]!) \(t["scenario"]!))"
            func bad(_ key: String, _ got: Any?) {
                wrong.append("\(label) \(key): got \(got ?? "nil"), want \(t[key] ?? "nil")")
            }
            for key in ["status", "workflow"] where r[key] as? String != t[key] as? String { bad(key, r[key]) }
            // turns_source: "result" / "executor" / null (NSNull in the truth).
            if r["turns_source"] as? String != t["turns_source"] as? String { bad("turns_source", r["turns_source"]) }
            for key in ["turns", "total_tokens", "tool_count"] where r[key] as? Int != t[key] as? Int {
                bad(key, r[key])
            }
            for key in ["input_tokens", "output_tokens"] where t[key] != nil && r[key] as? Int != t[key] as? Int {
                bad(key, r[key])
            }
            for key in ["taskgroup_error", "false_failure"] where r[key] as? Bool != t[key] as? Bool {
                bad(key, r[key])
            }
            if abs((r["cost_usd"] as? Double ?? -1) - (t["cost_usd"] as! Double)) > 1e-9 {
                bad("cost_usd", r["cost_usd"])
            }
            // tools: a list where the log names them, null where it prints only a count.
            if let tools = t["tools"] as? [String] {
                if Set(r["tools"] as? [String] ?? ["<null>"]) != Set(tools) { bad("tools", r["tools"]) }
            } else if let got = r["tools"] as? [String], !got.isEmpty {
                bad("tools", got)
            }
            // tool_uses: a number only where each use is seen; null (NSNull or absent) otherwise.
            if let uses = t["tool_uses"] as? Int {
                if r["tool_uses"] as? Int != uses { bad("tool_uses", r["tool_uses"]) }
            } else if r["tool_uses"] as? Int != nil {
                bad("tool_uses", r["tool_uses"])
            }
            if t["attribution_ambiguous"] as? Bool == true, r["attribution"] as? String != "ambiguous" {
                bad("attribution", r["attribution"])
            }
            let mismatch = (r["mismatch"] as? [String: [String]])?["log"] ?? []
            if mismatch != t["mismatch_log"] as! [String] { wrong.append("\(label) mismatch \(mismatch)") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) wrong, e.g. \(wrong.prefix(12))")
        let metrics = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout)
        let totals = truth["totals"] as! [String: Any]
        #expect(
            metrics["runledger_lines_total{source=\"\(dir.file("x.log"))\",result=\"malformed\"}"]
                == Double(totals["malformed_lines"] as! Int))
        let lines = metrics.filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
        #expect(lines == Double(totals["lines"] as! Int))
        // Values of stream-json runs whose output overlaps another's are counted, never guessed.
        if (totals["ambiguous_runs"] as? Int ?? 0) > 0 {
            let unknown = metrics["agent_workflow_cost_usd_total{workflow=\"unknown\"}"] ?? -1
            #expect(abs(unknown - (totals["unknown_cost_usd"] as! Double)) < 1e-6, "unknown cost \(unknown)")
        }
        return expected.count
    }
}
