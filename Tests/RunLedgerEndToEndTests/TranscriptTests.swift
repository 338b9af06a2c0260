import Foundation
import Testing

/// Real Claude Code transcripts from public repositories (`Tests/Fixtures/transcripts`, provenance in its
/// README), rendered by `tools/transcript-to-executor.py` the four ways the automagik executor writes one:
/// the per-run JSONL file, that file as the bug-era `execute_with_streaming` really wrote it, HEAD's
/// per-session file of SDK reprs, and HEAD's main log with `Claude output:` lines. Each rendering is
/// replayed and its run compared, field by field, with the numbers the script takes from the transcript
/// itself (its result message and tool_use blocks) and from what that way's file can show — never from
/// RunLedger's code.
private let transcriptSources: [String: String] = [
    "automagik-manual_test_output.jsonl": "namastexlabs/automagik manual_test_output.jsonl",
    "automagik-alpha_output_20250530_073458.json":
        "namastexlabs/automagik .claude/scripts/sessions/alpha_output_20250530_073458.json",
    "claude-code-action-sample-turns.json": "zzhewei/claude-code-for-gitlab test/fixtures/sample-turns.json",
    "guess-claude_code-file_listing.jsonl": "guess/claude_code test/fixtures/cli_messages/file_listing.jsonl",
    "guess-claude_code-scenario-d-error.jsonl":
        "guess/claude_code .claude/skills/cli-sync/captured/scenario-d-error.jsonl",
    "vecsum-05_logging-verify.jsonl":
        "freeideas/vecsum reports/2026-01-14-13-25-29-217_{05_logging}_VERIFY_RESPONSE.md",
]

private let transcriptFiles = transcriptSources.keys.sorted()
private let executorWays = ["per-run", "bug-era", "per-session", "main-log"]

@Suite struct TranscriptTests {
    @Test(arguments: transcriptFiles, executorWays)
    func transcriptReplaysToItsOwnNumbers(fixture: String, way: String) throws {
        let label = "\(transcriptSources[fixture]!) [\(way)]"
        let dir = TempDir()
        let python = try #require(which("python3"), "python3 runs the transcript renderer")
        let tool = Paths.root.appendingPathComponent("tools/transcript-to-executor.py").path
        let transcript = Paths.root.appendingPathComponent("Tests/Fixtures/transcripts/\(fixture)").path

        let expect = try run(python, [tool, transcript, "--expect", dir.file("expect.json")])
        #expect(expect.status == 0, "\(label): \(expect.stderr)")
        let expectation = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("expect.json"))))
                as? [String: Any], "\(label): expectation JSON")
        let ways = try #require(expectation["ways"] as? [String: [String: Any]], "\(label): ways")
        let thisWay = try #require(ways[way], "\(label): no expectation for this way")
        let fileName = try #require(thisWay["file_name"] as? String, "\(label): file name")
        let expected = try #require(thisWay["expected"] as? [String: Any], "\(label): expected numbers")
        let runId = try #require(expectation["run_id"] as? String, "\(label): run id")

        // The per-run file is `run_{run_id}.log`, the per-session file `{workflow}_{session}.log` (each line
        // names its run), the main log any name: the script says which.
        let log = dir.file(fileName)
        let render = try run(python, [tool, transcript, "--way", way, "--out", log])
        #expect(render.status == 0, "\(label): \(render.stderr)")

        let replay = try runledger("replay", "--db", dir.file("l.db"), "--utc-offset", "Z", log)
        #expect(replay.status == 0, "\(label): replay: \(replay.stderr)")
        let out = try runledger("runs", "--db", dir.file("l.db"), "--json")
        #expect(out.status == 0, "\(label): runs: \(out.stderr)")
        let runs = try #require(
            JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]], "\(label): runs JSON")
        let r = try #require(
            runs.first { $0["run_id"] as? String == runId },
            "\(label): no run \(runId) in the ledger (runs: \(runs.compactMap { $0["run_id"] as? String }))")

        // RunLedger prints 0 for a cost, turn count or token total it never saw; the script writes null.
        let cost = number(expected["cost_usd"])
        let gotCost = number(r["cost_usd"]) ?? 0
        #expect(
            abs(gotCost - (cost ?? 0)) < 1e-9,
            "\(label): cost_usd want \(show(expected["cost_usd"])) got \(show(r["cost_usd"]))")
        for key in ["turns", "total_tokens"] {
            let want = integer(expected[key])
            let got = integer(r[key])
            #expect((got ?? 0) == (want ?? 0), "\(label): \(key) want \(show(expected[key])) got \(show(r[key]))")
        }
        for key in ["input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens"] {
            #expect(
                integer(r[key]) == integer(expected[key]),
                "\(label): \(key) want \(show(expected[key])) got \(show(r[key]))")
        }
        // Distinct names in first-seen order; a way that shows no tool at all may leave the list unknown.
        let wantTools = expected["tools"] as? [String] ?? []
        let gotTools = r["tools"] as? [String]
        #expect(
            gotTools == wantTools || (wantTools.isEmpty && gotTools == nil),
            "\(label): tools want \(wantTools) got \(show(r["tools"]))")
        let wantUses = integer(expected["tool_uses"])
        let gotUses = integer(r["tool_uses"])
        #expect(
            gotUses == wantUses || (wantUses == 0 && gotUses == nil),
            "\(label): tool_uses want \(show(expected["tool_uses"])) got \(show(r["tool_uses"]))")
        #expect(
            r["status"] as? String == expected["status"] as? String,
            "\(label): status want \(show(expected["status"])) got \(show(r["status"]))")
        if r.keys.contains("turns_source") {
            #expect(
                string(r["turns_source"]) == string(expected["turns_source"]),
                "\(label): turns_source want \(show(expected["turns_source"])) got \(show(r["turns_source"]))")
        }
    }
}

private func isNull(_ v: Any?) -> Bool { v == nil || v is NSNull }

private func number(_ v: Any?) -> Double? { isNull(v) ? nil : (v as? NSNumber)?.doubleValue }

private func integer(_ v: Any?) -> Int? { isNull(v) ? nil : (v as? NSNumber)?.intValue }

private func string(_ v: Any?) -> String? { isNull(v) ? nil : v as? String }

private func show(_ v: Any?) -> String {
    if isNull(v) { return "null" }
    if let s = v as? String { return "\"\(s)\"" }
    return "\(v!)"
}
