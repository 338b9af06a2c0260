import Foundation
import Testing

/// Issue 13, finding 5: workflow names come from log content, and 10,000 of them made 400,000 series, a
/// 31 s start and a 28 MB `/metrics`. The workflow label is capped like the tool label: the profile's
/// workflows and the first `workflow_label_cap` others get their own label, later ones `other`.
@Suite struct WorkflowLabelCapTests {
    @Test func workflowNamesBeyondTheCapAreCountedAsOther() throws {
        let dir = TempDir()
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("bench/gen-corpus.py").path, "--workflows", "120", "--runs", "360",
                "--seed", "3", "--log", dir.file("x.log"), "--truth", dir.file("t.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        try #"{"workflow_label_cap": 20}"#.write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        let replay = try runledger(
            "replay", "--db", dir.file("l.db"), "--config", dir.file("c.json"), "--utc-offset", "Z", dir.file("x.log"))
        #expect(replay.status == 0, "\(replay.stderr)")
        let metrics = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout)
        let started = metrics.filter { $0.key.hasPrefix("agent_workflow_runs_started_total{") }
        let labels = Set(started.keys.compactMap { $0.split(separator: "\"").dropFirst().first.map(String.init) })
        // 9 profile workflows + 20 from the log + unknown + other, whatever the number of names.
        #expect(labels.count <= 9 + 20 + 2, "\(labels.count) workflow labels")
        #expect(labels.contains("other"))
        let runs =
            try JSONSerialization.jsonObject(
                with: Data(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout.utf8)) as! [[String: Any]]
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("t.json"))))
        let expected = (truth as! [String: Any])["runs"] as! [String: [String: Any]]
        // The ledger keeps each run's own workflow name; only the series fold it.
        let named = Set(runs.compactMap { $0["workflow"] as? String })
        #expect(named.count > 20 + 9)
        for r in runs {
            let id = r["run_id"] as! String
            #expect(r["workflow"] as? String == expected[id]?["workflow"] as? String, "\(id)")
        }
        // Every run is counted once; the folded counter counts the runs under `other`.
        #expect(started.values.reduce(0, +) == Double(runs.count))
        #expect(
            metrics["runledger_label_values_folded_total{label=\"workflow\"}"]
                == metrics["agent_workflow_runs_started_total{workflow=\"other\"}"])
        // A second pass (a restart) admits the same names: nothing moves.
        let again = try runledger(
            "replay", "--db", dir.file("l.db"), "--config", dir.file("c.json"), "--utc-offset", "Z", dir.file("x.log"))
        #expect(again.status == 0)
        #expect(samples(try runledger("metrics", "--db", dir.file("l.db")).stdout) == metrics)
    }
}
