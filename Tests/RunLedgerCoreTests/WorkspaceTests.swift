import Foundation
import Testing

@testable import RunLedgerCore

/// The executor's worktree and auto-commit lines, as `src/agents/claude_code/agent.py` and
/// `cli_environment.py` print them at 22e45cbe (and `automagik/agents/claude_code/` at HEAD d43e7af3).
enum WorkspaceLines {
    static let agent = "src.agents.claude_code.agent"
    static let env = "src.agents.claude_code.cli_environment"

    /// cli_environment.py@22e45cbe:148 `Created worktree workspace: {worktree_path} on branch {branch_name}`.
    static func created(_ path: String, _ branch: String) -> String {
        Executor.verbose("Created worktree workspace: \(path) on branch \(branch)", logger: env)
    }
    /// cli_environment.py@22e45cbe:706 `Prepared workspace at {workspace_path} for session {session_id}`.
    static func prepared(_ path: String, _ session: String) -> String {
        Executor.verbose("Prepared workspace at \(path) for session \(session)", logger: env)
    }
    /// agent.py@22e45cbe lines 849–941: the formatter adds its own `📝 ` before the message's, and the
    /// SKIPPED and No-workspace lines have two spaces after their emoji (U+FE0F included).
    static func autoCommit(_ rest: String, level: String = "INFO") -> String {
        Executor.verbose("📝 AUTO-COMMIT: " + rest, logger: agent, level: level)
    }
    static func link(_ run: String, _ session: String, _ path: String) -> String {
        autoCommit("Workspace path for run_id=\(run), claude_session_id=\(session): \(path)")
    }
    static let skipped = autoCommit("⏭\u{FE0F}  SKIPPED - Conditions not met")
    static func checking(_ ok: Bool) -> String {
        autoCommit("Checking conditions - Success: \(ok ? "True" : "False"), Has executor: True, Has env_mgr: True")
    }
}

@Suite struct WorkspaceExtractionTests {
    typealias L = WorkspaceLines
    let run = "6fa6ada1-dc7e-465b-85a8-8f005518f95b"

    func effects(_ line: String) -> [Effect] {
        let x = extract(line)
        #expect(x.result == .matched, "\(line): \(x.problem ?? "")")
        return x.effects
    }

    @Test func everyAutoCommitOutcomeIsRead() {
        // The doubled prefix as the stream carries it: `📝 \x1b[92m📝 AUTO-COMMIT: …`.
        #expect(L.skipped.contains("📝 \u{1B}[92m📝 AUTO-COMMIT: ⏭\u{FE0F}  SKIPPED"))
        let sha = "5f2a9c13d8e74b06a1c3e5f7092b4d6e8a1c3f50"
        #expect(effects(L.autoCommit("✅ SUCCESS for run \(run): \(sha)")) == [.autoCommit(.committed, detail: sha)])
        // `commit_result.get('commit_sha', 'N/A')` is None when git had nothing to commit.
        #expect(effects(L.autoCommit("✅ SUCCESS for run \(run): None")) == [.autoCommit(.committed, detail: nil)])
        #expect(
            effects(L.autoCommit("❌ FAILED for run \(run): Unknown error", level: "WARNING"))
                == [.autoCommit(.failed, detail: "Unknown error")])
        #expect(
            effects(L.autoCommit("💥 EXCEPTION for run \(run): [Errno 2] No such file", level: "ERROR"))
                == [.autoCommit(.failed, detail: "[Errno 2] No such file")])
        #expect(
            effects(L.autoCommit("⚠\u{FE0F}  No workspace path found for run \(run)", level: "WARNING"))
                == [.autoCommit(.noWorkspace, detail: nil)])
        #expect(effects(L.skipped) == [.autoCommit(.skipped, detail: nil)])
        #expect(extract(L.skipped).role == .followsPostEnd)
        // cli_environment.py@22e45cbe:345 and :331.
        #expect(
            effects(
                Executor.verbose("Auto-committed snapshot for run \(run): builder: Create a file ...", logger: L.env))
                == [.autoCommit(.committed, detail: nil)])
        #expect(
            effects(Executor.verbose("Auto-commit failed for run \(run): fatal: bad object", logger: L.env))
                == [.autoCommit(.failed, detail: "fatal: bad object")])
        #expect(extract(L.autoCommit("✅ SUCCESS for run \(run): 5f2a9c13")).key == .run(run))
    }

    @Test func worktreeLinesAreRead() {
        let path = "/home/namastex/workspace/am-agents-labs/worktrees/builder_run_0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318"
        let branch = "builder/run_0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318"
        #expect(effects(L.created(path, branch)) == [.workspace(path: path, branch: branch)])
        #expect(extract(L.created(path, branch)).key == nil)
        let link = extract(L.link(run, "0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318", path))
        #expect(link.key == .run(run))
        #expect(link.effects.contains(.workspace(path: path, branch: nil)))
        // agent.py@c5713cd9:842, HEAD automagik/agents/claude_code/agent.py:868.
        #expect(
            effects(Executor.verbose("Created workspace for run \(run): \(path)", logger: L.agent))
                == [.workspace(path: path, branch: nil)])
        // `active_workspaces.get(...)` found nothing: Python prints None, which is no path.
        #expect(!extract(L.link(run, "s", "None")).effects.contains { if case .workspace = $0 { true } else { false } })
    }

    @Test func craftedValuesAreBoundedOrRefused() {
        let long = String(repeating: "a", count: ValueLimits.pathBytes + 1)
        let x = extract(L.created("/" + long, "b"))
        #expect(x.result == .malformed && x.problem?.contains("worktree path is longer") == true)
        let bad = extract(L.autoCommit("✅ SUCCESS for run \(run): <script>"))
        #expect(bad.result == .malformed && bad.problem?.contains("is not a git hash") == true)
        let error = String(repeating: "é", count: 2000)
        guard case .autoCommit(_, let d?)? = extract(L.autoCommit("❌ FAILED for run \(run): \(error)")).effects.first
        else {
            Issue.record("no outcome")
            return
        }
        #expect(d.utf8.count <= ValueLimits.errorBytes && d.hasSuffix("…"))
    }
}

@Suite struct WorkspaceAttributionTests {
    typealias L = WorkspaceLines

    func wt(_ n: Int) -> (path: String, branch: String, session: String) {
        let s = "0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d31\(n)"
        return ("/srv/agents/worktrees/builder_run_\(s)", "builder/run_\(s)", s)
    }

    /// Two runs start before either worktree line: the log does not say which is whose, so neither
    /// gets a path; the success path's `AUTO-COMMIT: Workspace path for run_id=…` later ties A exactly.
    @Test func interleavedStartsAreUncertainNeverSwapped() {
        let a = BugEraRun(1), b = BugEraRun(2)
        var p = Pipeline()
        p.feed([
            a.start, b.start, L.created(wt(1).path, wt(1).branch), L.prepared(wt(1).path, wt(1).session),
            L.created(wt(2).path, wt(2).branch), L.prepared(wt(2).path, wt(2).session),
        ])
        #expect(p[a.run]?.workspace == Workspace(path: nil, branch: nil, attribution: .ambiguous))
        #expect(p[b.run]?.workspace == Workspace(path: nil, branch: nil, attribution: .ambiguous))
        p.feed([
            a.metrics(cost: "0.1087", turns: 4), a.end("completed"), a.background(true), L.checking(true),
            L.link(a.run, wt(1).session, wt(1).path),
            L.autoCommit("✅ SUCCESS for run \(a.run): 5f2a9c13d8e74b06a1c3e5f7092b4d6e8a1c3f50"),
        ])
        #expect(p[a.run]?.workspace == Workspace(path: wt(1).path, branch: wt(1).branch, attribution: .exact))
        #expect(p[b.run]?.workspace?.path == nil, "B is never given A's worktree")
        #expect(p[a.run]?.autoCommit?.outcome == .committed)
    }

    /// Starts apart: each worktree line comes while only its run waits for one (the sample's pattern).
    @Test func separateStartsAreEachInferred() {
        let a = BugEraRun(1), b = BugEraRun(2)
        var p = Pipeline()
        p.feed([
            a.start, L.created(wt(1).path, wt(1).branch), b.start, L.created(wt(2).path, wt(2).branch),
            a.metrics(cost: "0.1087", turns: 4), a.end("completed"), a.background(true), b.taskgroup, b.corrected(10),
            b.marking,
            b.end("failed"), b.background(false), L.checking(false), L.skipped,
        ])
        #expect(p[a.run]?.workspace == Workspace(path: wt(1).path, branch: wt(1).branch, attribution: .inferred))
        #expect(p[b.run]?.workspace == Workspace(path: wt(2).path, branch: wt(2).branch, attribution: .inferred))
        #expect(p[b.run]?.autoCommit == AutoCommit(outcome: .skipped, detail: nil, attribution: .inferred))
        #expect(p[a.run]?.autoCommit == nil)
        #expect(p[b.run]?.falseFailure == true)
        #expect(
            p[b.run]?.uncommittedWork
                == "uncommitted work in \(wt(2).path) on \(wt(2).branch) (worktree inferred from the run's start)")
    }

    /// Two agent threads end together and one `SKIPPED` comes: it is the run that said `False`.
    @Test func skippedGoesToTheRunThatFailed() {
        let a = BugEraRun(1), b = BugEraRun(2)
        var p = Pipeline()
        p.feed([
            a.start, b.start, a.end("completed"), b.end("failed"), a.background(true), b.background(false),
            L.checking(true), L.checking(false), L.skipped,
        ])
        #expect(p[b.run]?.autoCommit?.outcome == .skipped)
        #expect(p[a.run]?.autoCommit == nil)
    }

    /// Two that both said `True` (one lacking its environment manager): whose `SKIPPED` it is is unknown.
    @Test func skippedAmongSuccessesIsNobodys() {
        let a = BugEraRun(1), b = BugEraRun(2)
        var p = Pipeline()
        p.feed([a.start, b.start, a.end("completed"), b.end("completed"), a.background(true), b.background(true)])
        p.feed([L.skipped])
        #expect(p[a.run]?.autoCommit == nil && p[b.run]?.autoCommit == nil)
    }

    @Test func theBranchGoesWithItsPathAndACommitIsNotUndone() {
        var r = RunRecord(runId: "r")
        r.apply(.workspace(path: "/w", branch: "b"), at: nil, attribution: .inferred)
        r.apply(.workspace(path: "/w", branch: nil), at: nil, attribution: .exact)
        #expect(r.workspace == Workspace(path: "/w", branch: "b", attribution: .exact))
        r.apply(.workspace(path: "/x", branch: "c"), at: nil, attribution: .inferred)
        #expect(r.workspace?.path == "/w", "an inference does not replace a line naming the run")
        r.apply(.autoCommit(.failed, detail: "fatal: index.lock exists"), at: nil, attribution: .exact)
        r.apply(.autoCommit(.failed, detail: "Unknown error"), at: nil, attribution: .exact)
        #expect(r.autoCommit?.detail == "fatal: index.lock exists")
        r.apply(.autoCommit(.committed, detail: "5f2a9c1"), at: nil, attribution: .exact)
        r.apply(.autoCommit(.failed, detail: "db error after the commit"), at: nil, attribution: .exact)
        #expect(r.autoCommit?.outcome == .committed && r.autoCommit?.detail == "5f2a9c1")
    }

    @Test func theWordingSaysWhatIsKnown() {
        func ff(_ w: Workspace?) -> RunRecord {
            var r = RunRecord(runId: "r")
            r.apply(.started, at: nil, attribution: .exact)
            r.apply(.turns(3, .result), at: nil, attribution: .burst)
            r.apply(.taskgroupError, at: nil, attribution: .burst)
            r.apply(.ended(.failed, .correction), at: nil, attribution: .exact)
            r.workspace = w
            return r
        }
        #expect(
            ff(.init(path: "/w", branch: "b", attribution: .exact)).uncommittedWork == "uncommitted work in /w on b")
        #expect(
            ff(.init(path: "/w", branch: nil, attribution: .exact)).uncommittedWork
                == "uncommitted work in /w (branch not logged)")
        #expect(ff(nil).uncommittedWork == "uncommitted work; the log names no worktree for this run")
        #expect(
            ff(.init(path: nil, branch: nil, attribution: .ambiguous)).uncommittedWork?.contains("does not tie") == true
        )
        var committed = ff(.init(path: "/w", branch: "b", attribution: .exact))
        committed.apply(.autoCommit(.committed, detail: nil), at: nil, attribution: .exact)
        #expect(committed.uncommittedWork == nil)
    }
}

@Suite struct WorkspaceLedgerTests {
    /// A record as the ledger stored it before these fields existed (schema 5, main at 3ddbcf0).
    static let oldRecord = """
        {"attribution":"burst","costNano":{"rank":2,"value":1399600000},"endedAtMs":1750366800824,\
        "lastLineAtMs":1750366800824,"mismatch":{"log":["cost","tools","turns"]},"recentToolIds":[],\
        "reported":{"log":{"costNano":0,"tools":0,"totalTokens":0,"turns":0}},\
        "runId":"75e23d0c-c76d-4619-bf39-39e95959303c","startedAtMs":1750366800268,\
        "status":{"rank":3,"value":"completed"},"taskgroupError":false,"tokens":{},\
        "tools":[{"fromListOnly":true,"name":"Edit","uses":1}],"turns":{"rank":4,"value":26},\
        "workflow":{"rank":2,"value":"guardian"},"workflowSettledUnknown":false}
        """

    @Test func anOldRecordLoads() throws {
        let fast = try #require(RunRecord(ledgerJSON: Self.oldRecord))
        let decoded = try JSONDecoder().decode(RunRecord.self, from: Data(Self.oldRecord.utf8))
        #expect(fast == decoded)
        #expect(fast.turnCount == 26 && fast.workflowName == "guardian")
        #expect(fast.workspace == nil && fast.autoCommit == nil && fast.logLines == nil)
        #expect(RunView.json(fast).contains(#""worktree":null"#))
        #expect(RunView.json(fast).contains(#""log_lines":[]"#))
    }

    @Test func theNewFieldsReadBack() throws {
        var r = RunRecord(runId: "r")
        r.apply(.workspace(path: "/srv/w \"q\"", branch: "builder/run_1"), at: nil, attribution: .inferred)
        r.apply(.autoCommit(.failed, detail: "fatal: x\ny"), at: nil, attribution: .exact)
        r.noteLine("/var/log/a.log", 12)
        r.noteLine("/var/log/a.log", 3)
        r.noteLine("/var/log/a.log", 40)
        #expect(r.logLines == [LogSpan(source: "/var/log/a.log", first: 3, last: 40)])
        #expect(RunRecord(ledgerJSON: r.ledgerJSON) == r)
        #expect(try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8)) == r)
    }
}
