import Foundation
import Testing

/// Issue 13, finding 4: one cut line must change no other run. For every start, end and name line of a
/// generated log (every era but stream-json; `tools/gen-executor-log.py`), the log is replayed with that
/// one line cut in half; every run the line does not concern must come out exactly as without the cut.
/// Before, one cut `Background workflow NAME completed` line shifted the names of every later run by one,
/// and a cut end line gave its burst to the next run.
@Suite struct CutAnchorTests {
    // Computed: a Regex is not Sendable, so a stored static one is shared mutable state in Swift 6.
    static var anchor: Regex<AnyRegexOutput> {
        try! Regex(
            #"Created workflow run record|Updated session .* with final status|Updated workflow_runs table for|Background workflow .* completed|Workflow .* completed via direct|Marked process|Failed to create workflow run record|Workflow execution failed for|Updated workflow run .* status to failed"#
        )
    }
    static var uuid: Regex<AnyRegexOutput> {
        try! Regex(#"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#)
    }
    static let fields = ["workflow", "status", "cost_usd", "turns", "total_tokens", "tools", "taskgroup_error"]

    @Test(arguments: ["verbose", "mixed"]) func aCutLineChangesNoOtherRun(envelopes: String) throws {
        let dir = TempDir()
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "30", "--seed", "6",
                "--envelopes", envelopes, "--eras", "bug,fixed,m1,b1,head", "--log", dir.file("x.log"), "--truth",
                dir.file("t.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let lines = try String(contentsOfFile: dir.file("x.log"), encoding: .utf8).components(separatedBy: "\n")
        func replay(_ lines: [String], _ name: String) throws -> [String: [String: Any]] {
            try lines.joined(separator: "\n").write(toFile: dir.file(name + ".log"), atomically: true, encoding: .utf8)
            _ = try runledger("replay", "--db", dir.file(name + ".db"), "--utc-offset", "Z", dir.file(name + ".log"))
            let out = try runledger("runs", "--db", dir.file(name + ".db"), "--json").stdout
            let runs = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
            return Dictionary(uniqueKeysWithValues: runs.map { ($0["run_id"] as! String, $0) })
        }
        let whole = try replay(lines, "whole")
        var cuts = 0
        var wrong: [String] = []
        let anchor = Self.anchor, uuid = Self.uuid
        for (i, line) in lines.enumerated() where line.contains(anchor) {
            cuts += 1
            var cut = lines
            cut[i] = String(line.prefix(line.count / 2))
            let got = try replay(cut, "cut\(i)")
            // The run the line concerns (it names it, or it is the end or name line of the run it follows)
            // may change; any second run that changes was changed by another run's line.
            let changed = whole.keys.filter { id in
                Self.fields.contains { "\(whole[id]![$0] ?? "nil")" != "\(got[id]?[$0] ?? "nil")" }
            }
            let named = Set(line.matches(of: uuid).map { String(line[$0.range]) })
            let others = changed.filter { !named.contains($0) }
            // A line that names its run (by run id) may change that run only; one that does not (an end
            // line names a record or session id, a name line nothing) may change one run, its own.
            let allowed = changed.contains(where: named.contains) ? 0 : 1
            if others.count > allowed {
                wrong.append("line \(i + 1) (\(line.suffix(70))): \(others.count) other runs changed")
            }
        }
        #expect(cuts > 50)
        #expect(wrong.isEmpty, "\(wrong.count) of \(cuts) cut lines changed another run: \(wrong.prefix(5))")
    }
}
