import Testing

@testable import RunLedgerCore

@Suite struct CorrelatorTests {
    @Test func burstBelongsToTheRunWhoseEndAnchorClosesIt() {
        let a = BugEraRun(1, "builder")
        var p = Pipeline()
        p.feed([
            a.post, a.start, a.metrics(cost: "0.1087", turns: 4), a.processing(9), a.tool("Write", "toolu_1"),
            a.toolList(["Write"]), a.end("completed"), a.background(true), a.pollAccess, a.poll(),
        ])
        let r = try! #require(p[a.run])
        #expect(r.cost == 108_700_000)
        #expect(r.turnCount == 4)
        #expect(r.tools.map(\.name) == ["Write"])
        #expect(r.toolUses == 1)
        #expect(r.currentStatus == .completed)
        #expect(r.workflowName == "builder")
        #expect(r.attribution == .burst)
        #expect(r.mismatch == ["log": ["cost", "tools", "turns"]])
        #expect(p.unattributed.isEmpty)
    }

    @Test func otherThreadsLinesInsideABurstDoNotBreakIt() {
        let a = BugEraRun(1, "builder"), b = BugEraRun(2, "guardian")
        var p = Pipeline()
        p.feed([
            a.start, a.metrics(cost: "1.0000", turns: 3),
            b.post, b.start, b.pollAccess, b.poll(),  // another run starts and is polled mid-burst
            a.processing(5), a.tool("Read", "t1"), a.toolList(["Read"]), a.end("completed"), a.background(true),
        ])
        #expect(p[a.run]?.cost == 1_000_000_000)
        #expect(p[a.run]?.tools.map(\.name) == ["Read"])
        #expect(p[b.run]?.cost == 0)
        #expect(p[b.run]?.workflowName == "guardian")
        #expect(p[b.run]?.currentStatus == .running)
    }

    @Test func interleavedBurstsAreAmbiguousAndNeverGuessed() {
        let a = BugEraRun(1), b = BugEraRun(2, "lina")
        var p = Pipeline()
        p.feed([
            a.start, b.start,
            a.metrics(cost: "1.0000", turns: 3), b.metrics(cost: "2.0000", turns: 5),  // two runs' lines mix
            a.processing(5), b.processing(7),
            a.end("completed"), b.end("completed"),
        ])
        #expect(p[a.run]?.cost == 0)
        #expect(p[b.run]?.cost == 0)
        #expect(p[a.run]?.attribution == .ambiguous)
        #expect(p[b.run]?.attribution == .ambiguous)
        // Kept, not dropped: both costs are in the unattributed groups.
        let kept = p.unattributed.flatMap(\.facts).flatMap(\.effects).compactMap { e -> Int64? in
            if case .cost(let n, _) = e { n } else { nil }
        }
        #expect(kept.sorted() == [1_000_000_000, 2_000_000_000])
        #expect(p.unattributed.allSatisfy { $0.reason == "ambiguous" })
    }

    @Test func correctionReplacesTheStreamedTurnCount() {
        let b = BugEraRun(3)
        var p = Pipeline()
        p.feed([
            b.start, b.taskgroup, b.processing(17), b.tool("mcp__agent-memory__search_memory_nodes", "t1"),
            b.corrected(10), b.marking, b.toolList(["mcp__agent-memory__search_memory_nodes", "TodoWrite"]),
            b.end("failed"), b.background(false), b.poll(),
        ])
        let r = try! #require(p[b.run])
        #expect(r.turnCount == 10)
        #expect(r.taskgroupError)
        #expect(r.falseFailure)
        #expect(r.tools.map(\.name) == ["mcp__agent-memory__search_memory_nodes", "TodoWrite"])
        #expect(r.toolUses == 2)  // one captured use, one name known only from the list
        #expect(r.mismatch == ["log": ["tools", "turns"]])
    }

    @Test func aTaskGroupRunWithNoWorkIsNotAFalseFailure() {
        let b = BugEraRun(4)
        var p = Pipeline()
        p.feed([b.start, b.taskgroup, b.processing(0), b.marking, b.toolList([]), b.end("failed"), b.poll()])
        let r = try! #require(p[b.run])
        #expect(r.taskgroupError)
        #expect(!r.falseFailure)
        #expect(r.mismatch.isEmpty)
    }

    @Test func aReportWhileRunningIsNotAMismatch() {
        let a = BugEraRun(5)
        var p = Pipeline()
        p.feed([a.start, a.poll(), a.metrics(cost: "0.5000", turns: 2), a.end("completed")])
        #expect(p[a.run]?.mismatch.isEmpty == true)
        p.feed([a.poll(cost: "0.5000", tokens: 0, turns: 2, tools: 0)])
        #expect(p[a.run]?.mismatch == [:])  // the ledger has no tokens or tools, so zeros there are true
        p.feed([a.poll()])
        #expect(p[a.run]?.mismatch == ["log": ["cost", "turns"]])
    }

    @Test func continuationLinesFollowTheirHeaderRun() {
        let a = BugEraRun(6)
        var p = Pipeline()
        p.feed([
            a.start, a.metrics(cost: "1.5173", turns: 2), a.processing(6),
            Executor.verbose("SURGICAL SUCCESS: Persisted metrics to database for run \(a.run)"),
            Executor.verbose("  - Cost: $1.5173"), Executor.verbose("  - Tokens: 168061 total (1432 in, 19157 out)"),
            Executor.verbose("  - Status: completed"), a.end("completed"),
        ])
        let r = try! #require(p[a.run])
        #expect(r.cost == 1_517_300_000)  // printed twice, counted once
        #expect(r.totalTokens == 168_061)
        let cache = r.tokens.byKind.first(where: { $0.kind == "cache" })?.value
        #expect(cache == Int64(168_061 - 1432 - 19157))
    }

    @Test func restartFlushesAnUnfinishedBurst() {
        let a = BugEraRun(7), b = BugEraRun(8)
        var p = Pipeline()
        p.feed([
            a.start, a.metrics(cost: "1.0000", turns: 1),
            Executor.verbose("Starting Automagik Agents API", logger: "src.__main__"),
            b.start, b.metrics(cost: "2.0000", turns: 2), b.processing(3), b.end("completed"),
        ])
        #expect(p[a.run]?.cost == 0)
        #expect(p[b.run]?.cost == 2_000_000_000)
        #expect(p.unattributed.map(\.reason) == ["restart"])
    }

    @Test func streamJSONLinesAreAttributedThroughTheSessionLink() {
        let run = "9ea453a3-b2e5-4bbf-9fb6-1ab7db9d0ce0", session = "6f803803-98b4-4136-a829-3dc2c855c507"
        let other = BugEraRun(9)
        var p = Pipeline()
        p.feed([
            Executor.verbose("Created workflow run record 70a20140-db5a-41bc-adc3-dcbe08c68edd for run_id \(run)"),
            Executor.verbose("SDK Executor: Starting stream-json execution for run_id: \(run), session: \(session)"),
            Executor.verbose("Created individual log file: guardian_\(session).log"),
            other.start, other.metrics(cost: "9.0000", turns: 9),  // another run's id-less burst is open meanwhile
            Executor.verbose(
                #"Claude output: {"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{}}]},"session_id":"\#(session)"}"#,
                level: "DEBUG"),
            Executor.verbose(
                #"Claude output: {"type":"result","num_turns":20,"total_cost_usd":1.5789,"session_id":"\#(session)","usage":{"input_tokens":441,"output_tokens":11673,"cache_creation_input_tokens":18673,"cache_read_input_tokens":165496}}"#,
                level: "DEBUG"),
            other.processing(1), other.end("completed"),
            Executor.verbose("Updated workflow_runs table for \(run) to completed"),
        ])
        let r = try! #require(p[run])
        #expect(r.workflowName == "guardian")
        #expect(r.cost == 1_578_900_000)
        #expect(r.turnCount == 20)
        #expect(r.totalTokens == 196_283)
        #expect(r.tools.map(\.name) == ["Bash"])
        #expect(r.attribution == .exact)
        #expect(p[other.run]?.cost == 9_000_000_000)
    }

    @Test func progressCountersGoingBackMeanTwoRunsProgressLines() {
        let run1 = "aaaaaaaa-0000-4000-8000-000000000001", run2 = "aaaaaaaa-0000-4000-8000-000000000002"
        var p = Pipeline()
        p.feed([
            Executor.verbose("SDK Executor: Starting stream-json execution for run_id: \(run1), session: s1"),
            Executor.verbose("SDK Executor: Starting stream-json execution for run_id: \(run2), session: s2"),
            Executor.verbose("🔄 Turn 1 - AssistantMessage received"),
            Executor.verbose("🔄 Turn 2 - AssistantMessage received"),
            Executor.verbose("🔄 Turn 1 - AssistantMessage received"),
            Executor.verbose("📊 Token usage - Input: 1, Output: 2, Cache: 3, Total: 6"),
            Executor.verbose("Updated workflow_runs table for \(run1) to completed"),
        ])
        #expect(p[run1]?.turnCount == 0)  // the turn lines are mixed: kept as unattributed
        #expect(p[run1]?.totalTokens == 6)  // the rest of the burst is still the run's
        #expect(p[run1]?.attribution == .ambiguous)
        #expect(p.unattributed.flatMap(\.facts).count == 3)
    }

    @Test func anEndAnchorForAnUnknownDatabaseIdKeepsTheBurst() {
        let a = BugEraRun(10)
        var p = Pipeline()
        p.feed([a.metrics(cost: "3.0000", turns: 3), a.end("completed")])  // the run started before the log
        #expect(p.runs.isEmpty)
        #expect(p.unattributed.map(\.reason) == ["unlinked"])
    }

    @Test func workflowNamesPairWithEndedRunsInOrder() {
        let a = BugEraRun(11, "builder"), b = BugEraRun(12, "surgeon")
        var p = Pipeline()
        p.feed([
            a.start, b.start, a.processing(1), a.end("completed"), b.processing(1), b.end("failed"),
            a.background(true), b.background(false),
        ])
        #expect(p[a.run]?.workflowName == "builder")
        #expect(p[b.run]?.workflowName == "surgeon")
    }

    @Test func stateSurvivesEncoding() throws {
        // The correlator's memory is saved with the position: a restart mid-burst must resume it.
        let a = BugEraRun(13)
        var p = Pipeline()
        p.feed([a.start, a.metrics(cost: "1.2500", turns: 4), a.processing(2)])
        let saved = p.correlator.state
        var q = Pipeline(known: p.runs)
        q.correlator.state = saved
        q.feed([a.end("completed")])
        #expect(q[a.run]?.cost == 1_250_000_000)
        #expect(q[a.run]?.turnCount == 4)
    }
}
