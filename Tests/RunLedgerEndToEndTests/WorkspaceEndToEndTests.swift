import Foundation
import TestSupport
import Testing

/// The shared sample's false failure 55df2f23 (bug era, 22e45cbe formats): its thread printed
/// `Created worktree workspace: P on branch B` after its start and `📝 AUTO-COMMIT: ⏭️  SKIPPED -
/// Conditions not met` after its end. The operator must learn where the work is from the chat alert,
/// `runs --json` and the run page, and where the run's lines are in the log.
@Suite(.serialized, .tags(.slow)) struct WorkspaceEndToEndTests {
    static let id = "55df2f23-0b42-44c0-9ce0-62b822a78b21"

    /// What the log itself says of the run, read here from its lines, not from RunLedger.
    struct Expected {
        var path: String
        var branch: String
        var firstLine: Int
        var lastLine: Int
    }

    func expected() throws -> Expected {
        let lines = try String(contentsOfFile: Paths.sampleLog, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(
            lines.firstIndex { $0.contains("Created workflow run record") && $0.contains(Self.id) })
        let db = try #require(lines[start].components(separatedBy: "Created workflow run record ").last?.prefix(36))
        // The worktree line right after the start: no other run started between them in the sample.
        let wt = try #require(lines[(start + 1)...].first { $0.contains("Created worktree workspace: ") })
        #expect(!lines[(start + 1)..<lines.firstIndex(of: wt)!].contains { $0.contains("Created workflow run record") })
        let text = try #require(wt.components(separatedBy: "Created worktree workspace: ").last)
        let parts = text.replacingOccurrences(of: "\u{1B}[0m", with: "").components(separatedBy: " on branch ")
        let end = try #require(lines.firstIndex { $0.contains("(workflow_run_id: \(db))") })
        let skipped = try #require(lines[end...].firstIndex { $0.contains("AUTO-COMMIT: ⏭\u{FE0F}  SKIPPED") })
        #expect(lines[skipped].contains("📝 \u{1B}[92m📝 AUTO-COMMIT:"), "the doubled prefix")
        return Expected(path: parts[0], branch: parts[1], firstLine: start + 1, lastLine: skipped + 1)
    }

    func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test func aSkippedFalseFailureSaysWhereItsWorkIs() throws {
        let e = try expected()
        let sentence = "uncommitted work in \(e.path) on \(e.branch)"
        let dir = TempDir()
        let receiver = try Receiver(dir: dir)
        defer { receiver.stop() }
        let replay = try runledger(
            "replay", "--db", dir.file("l.db"), "--utc-offset=-03:00", "--webhook", "slack=\(receiver.url("/slack"))",
            "--deliver-for", "30", Paths.sampleLog)
        #expect(replay.status == 0, "\(replay.stderr)")

        // The chat alert.
        let alert = try #require(
            receiver.requests("/slack").first { idempotencyKey($0) == "\(Self.id)/false_failure" }?["body"]
                as? [String: Any])
        let text = try #require(alert["text"] as? String)
        #expect(text.contains(sentence), "\(text)")

        // runs --json: the sentence and the structured fields.
        let out = try runledger("runs", "--db", dir.file("l.db"), "--json")
        let runs = try #require(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        let run = try #require(runs.first { $0["run_id"] as? String == Self.id })
        #expect((run["uncommitted_work"] as? String)?.hasPrefix(sentence) == true, "\(run)")
        #expect(run["worktree"] as? String == e.path)
        #expect(run["branch"] as? String == e.branch)
        #expect(run["workspace_attribution"] as? String == "inferred")
        let commit = try #require(run["auto_commit"] as? [String: Any])
        #expect(commit["outcome"] as? String == "skipped")
        // The log-line locator: the run's start anchor to its SKIPPED line.
        let spans = try #require(run["log_lines"] as? [[String: Any]])
        #expect(spans.count == 1)
        #expect((spans.first?["source"] as? String)?.hasSuffix("samples/automagik/executor.log") == true)
        #expect(spans.first?["first_line"] as? Int == e.firstLine)
        #expect(spans.first?["last_line"] as? Int == e.lastLine)
        // A run that committed says nothing of uncommitted work and names its sha.
        let committed = try #require(
            runs.first { ($0["auto_commit"] as? [String: Any])?["outcome"] as? String == "committed" })
        #expect(committed["uncommitted_work"] is NSNull)
        #expect(((committed["auto_commit"] as? [String: Any])?["sha"] as? String)?.count == 40)

        // The run page.
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        let page = try #require(serve.get("/runs/\(Self.id)"))
        #expect(page.status == 200)
        #expect(page.body.contains(#"<p class="bad" id="lost-work">"# + html(sentence)), "\(page.body)")
        #expect(page.body.contains(#"<table id="workspace">"#))
        #expect(page.body.contains("<code>\(html(e.branch))</code>"))
        #expect(page.body.contains("skipped (conditions not met)"))
        let source = try #require(spans.first?["source"] as? String)
        #expect(page.body.contains(html("\(source) lines \(e.firstLine)–\(e.lastLine)")))
        #expect(serve.stop() == 0)
    }
}
