import Testing

@testable import RunLedgerCore

/// Whole runs of every executor release and end path, written line by line from the executor's source
/// (namastexlabs/automagik; the commit and file of each line are named beside it) and fed in both
/// envelopes the executor writes: verbose or file (`asctime - name - LEVEL - message`) and the default
/// message-only one. `tools/gen-executor-log.py` writes the same paths at scale (GeneratedLogTests).
private typealias Call = ExecutorReleaseTests.Call
private func info(_ m: String) -> Call { Call("INFO", m) }
private func warning(_ m: String) -> Call { Call("WARNING", m) }
private func error(_ m: String) -> Call { Call("ERROR", m) }
private func debug(_ m: String) -> Call { Call("DEBUG", m) }

@Suite struct ExecutorReleaseTests {
    enum Form: CaseIterable { case verbose, plain }

    static let r1 = "5b02514f-2e0d-4980-96b3-eb4a0d3343b8", r2 = "973721c1-a2df-4030-bd81-5c639cdb4e05"
    static let db1 = "d61f326a-25ca-413e-b430-0685227e5be6", db2 = "7c44a78b-1cad-4603-9ac3-ded209bf5ad4"
    static let s1 = "07c64f5c-605c-4ab7-bd2d-a724cbcab0cb", s2 = "9b34000a-b9a2-41fe-8c1b-d851234f7239"

    /// One logger call: level and message as the f-string renders it.
    struct Call {
        var level: String
        var message: String
        init(_ level: String, _ message: String) {
            self.level = level
            self.message = message
        }
    }

    static func feed(_ calls: [Call], _ form: Form) -> Pipeline {
        var p = Pipeline()
        p.feed(
            calls.map { c in
                switch form {
                case .verbose:
                    return Executor.verbose(c.message, logger: "automagik.agents.claude_code", level: c.level)
                case .plain: return Executor.plain(c.message, level: c.level)
                }
            })
        return p
    }

    // MARK: 942c33c9 → 15922818 (M1): the agent's own insert fails, its end names no record

    /// agent.py @ 942c33c9 `execute_workflow_background`; sdk_executor.py @ 942c33c9 `execute_claude_task`.
    static func m1Start(_ run: String, _ db: String) -> [Call] {
        [
            info("Created workflow run record \(db) for run_id \(run)"),  // routes, before execution
            warning("Failed to create workflow run record: Workflow run with run_id '\(run)' already exists"),
        ]
    }
    static func m1Burst(cost: String, turns: Int, tools: [String]) -> [Call] {
        [info("SDK Executor: Captured final metrics during streaming - Cost: $\(cost), Turns: \(turns)")]
            + tools.enumerated().map { info("SDK Executor: Captured tool usage - \($1) (id: toolu_0\($0)abc)") }
    }
    static func m1End(_ session: String, _ status: String, workflow: String) -> [Call] {
        [
            info("Updated session \(session) with final status: \(status) (workflow_run_id: None)"),
            info("Background workflow \(workflow) completed: \(status == "completed" ? "True" : "False")"),
        ]
    }

    @Test(arguments: Form.allCases) func m1RunEndsThoughItsEndLineNamesNoRecord(form: Form) {
        let p = Self.feed(
            Self.m1Start(Self.r1, Self.db1) + Self.m1Burst(cost: "0.8280", turns: 15, tools: ["Bash", "Read"])
                + Self.m1End(Self.s1, "completed", workflow: "builder"), form)
        let r = p[Self.r1]
        #expect(r?.currentStatus == .completed)
        #expect(r?.cost == 828_000_000)
        #expect(r?.turnCount == 15)
        #expect(r?.turnsSource == "result")  // `Turns:` there prints final_metrics['num_turns']
        #expect(r?.tools.map(\.name) == ["Bash", "Read"])
        #expect(r?.toolUsesKnown == false)  // M7: printed once per new name, not per use
        #expect(r?.workflowName == "builder")
        #expect(p.unattributed.isEmpty)
    }

    @Test(arguments: Form.allCases) func m1RunsInFlightTogetherAreToldApartByTheLinesThatNameThem(form: Form) {
        // The first end's burst names its run (`SURGICAL SUCCESS: Persisted metrics … for run R`,
        // sdk_executor.py @ 942c33c9); the second end is then the one run left in flight.
        let lines =
            Self.m1Start(Self.r1, Self.db1) + Self.m1Start(Self.r2, Self.db2)
            + Self.m1Burst(cost: "1.2541", turns: 9, tools: ["Grep"])
            + [
                info("SURGICAL SUCCESS: Persisted metrics to database for run \(Self.r1)"),
                info("  - Cost: $1.2541"), info("  - Tokens: 90099 total (1798 in, 15897 out)"),
                info("  - Status: completed"),
            ] + Self.m1End(Self.s1, "completed", workflow: "claude")
            + Self.m1Burst(cost: "0.5000", turns: 3, tools: ["Edit"])
            + Self.m1End(Self.s2, "completed", workflow: "lina")
        let p = Self.feed(lines, form)
        #expect(p[Self.r1]?.currentStatus == .completed)
        #expect(p[Self.r1]?.cost == 1_254_100_000)
        #expect(p[Self.r1]?.turnCount == 9)
        #expect(p[Self.r1]?.totalTokens == 90099)
        #expect(p[Self.r1]?.attribution == .burst)
        #expect(p[Self.r1]?.workflowName == "claude")
        #expect(p[Self.r2]?.currentStatus == .completed)
        #expect(p[Self.r2]?.cost == 500_000_000)
        #expect(p[Self.r2]?.workflowName == "lina")
    }

    @Test(arguments: Form.allCases) func anM1EndThatNoLineTiesToARunIsHeldUntilOneDoes(form: Form) {
        // Neither the end line nor its burst says whose it is, with two such runs in flight: the burst goes
        // to `unknown` (never guessed) and the auto-commit line the same thread writes next tells whose
        // end it was (agent.py @ 942c33c9); the other run's end is then the one left.
        let lines =
            Self.m1Start(Self.r1, Self.db1) + Self.m1Start(Self.r2, Self.db2)
            + Self.m1Burst(cost: "0.5000", turns: 3, tools: ["Edit"])
            + Self.m1End(Self.s2, "completed", workflow: "lina")
            + [info("📝 AUTO-COMMIT: ✅ SUCCESS for run \(Self.r2): c6f316e9e4cd4150a748683d4eb614019aee1162")]
            + Self.m1Burst(cost: "1.2541", turns: 9, tools: ["Grep"])
            + Self.m1End(Self.s1, "failed", workflow: "claude")
        let p = Self.feed(lines, form)
        #expect(p[Self.r2]?.currentStatus == .completed)
        #expect(p[Self.r2]?.cost == 0)
        #expect(p[Self.r2]?.attribution == .ambiguous)
        #expect(p.unattributed.map(\.reason) == ["ambiguous"])
        #expect(p[Self.r2]?.workflowName == "lina")
        #expect(p[Self.r1]?.currentStatus == .failed)
        #expect(p[Self.r1]?.cost == 1_254_100_000)
        #expect(p[Self.r1]?.workflowName == "claude")
    }

    @Test(arguments: Form.allCases) func m1TaskGroupVariantsMarkTheRun(form: Form) {
        // A9 and A10 (sdk_executor.py @ d60ee737, 31bcbf51), C11 (@ 31bcbf51), A6 (@ 42340155).
        for line in [
            "SDK Executor: TaskGroup error detected - marking as incomplete",
            "SDK TaskGroup error, attempting sync fallback: unhandled errors in a TaskGroup (1 sub-exception)",
            "SURGICAL ESCALATION: Even isolated execution failed with TaskGroup: unhandled errors in a TaskGroup",
            "SDK streaming failed with TaskGroup error: unhandled errors in a TaskGroup (1 sub-exception)",
        ] {
            let p = Self.feed(
                Self.m1Start(Self.r1, Self.db1) + [warning(line)]
                    + Self.m1Burst(cost: "0.1000", turns: 2, tools: ["Read"])
                    + Self.m1End(Self.s1, "failed", workflow: "lina"),
                form)
            #expect(p[Self.r1]?.taskgroupError == true, "\(line)")
            #expect(p[Self.r1]?.falseFailure == true, "\(line)")
        }
        // C10 names its run (completion_tracker.py @ 1e8e7935).
        let p = Self.feed(
            Self.m1Start(Self.r1, Self.db1) + [info("Workflow \(Self.r1) diagnosed with TaskGroup conflict")], form)
        #expect(p[Self.r1]?.taskgroupError == true)
    }

    @Test(arguments: Form.allCases) func m1EndsThatNameNoRunResolveAsTheirRunsAreKnown(form: Form) {
        // The failed run ends first: its thread writes no line naming it (`AUTO-COMMIT: ⏭️  SKIPPED`);
        // the second's auto-commit line names it, so the first end was the other run's.
        let lines =
            Self.m1Start(Self.r1, Self.db1) + Self.m1Start(Self.r2, Self.db2)
            + Self.m1Burst(cost: "0.2000", turns: 2, tools: []) + Self.m1End(Self.s1, "failed", workflow: "claude")
            + [info("📝 AUTO-COMMIT: ⏭️  SKIPPED - Conditions not met")]
            + Self.m1Burst(cost: "0.5000", turns: 3, tools: ["Edit"])
            + Self.m1End(Self.s2, "completed", workflow: "lina")
            + [info("📝 AUTO-COMMIT: ✅ SUCCESS for run \(Self.r2): c6f316e9e4cd4150a748683d4eb614019aee1162")]
        let p = Self.feed(lines, form)
        #expect(p[Self.r2]?.currentStatus == .completed)
        #expect(p[Self.r2]?.workflowName == "lina")
        #expect(p[Self.r1]?.currentStatus == .failed)
        #expect(p[Self.r1]?.workflowName == "claude")
        // Two runs that ended alike, with nothing to tell them apart, still end.
        let alike = Self.feed(
            Self.m1Start(Self.r1, Self.db1) + Self.m1Start(Self.r2, Self.db2)
                + Self.m1End(Self.s1, "failed", workflow: "claude") + Self.m1End(Self.s2, "failed", workflow: "lina"),
            form)
        #expect(alike[Self.r1]?.currentStatus == .failed)
        #expect(alike[Self.r2]?.currentStatus == .failed)
        #expect(alike[Self.r1]?.attribution == .ambiguous)
    }

    // MARK: 15922818 → 57e89ef4 (b1, the first pip release): M2's completion line without tokens

    /// sdk_execution_strategies.py, sdk_metrics_handler.py, sdk_process_manager.py, agent.py @ e6b20970.
    static func b1Run(_ run: String, _ db: String, _ session: String, workflow: String) -> [Call] {
        [
            info("Created workflow run record \(db) for run_id \(run)"),
            info("SDK Executor: Starting simple execution for run_id: \(run), session: \(session)"),
            warning("Failed to create workflow run record: Workflow run with run_id '\(run)' already exists"),
            debug("SDK Executor: Captured tool - Read"), debug("SDK Executor: Captured tool - Bash"),
            info("SDK Executor: Completed successfully - Turns: 7, Tools: 2"),
            info("Marked process \(run) as completed"),
            info("Updated workflow_runs table for \(run) to completed"),
            info("Persisted metrics to database for run \(run)"),
            info("  - Cost: $0.2605"), info("  - Tokens: 118435 total"), info("  - Tools: 2 used"),
            info("Updated session \(session) with final status: completed (workflow_run_id: None)"),
            info("Background workflow \(workflow) completed: True"),
        ]
    }

    @Test(arguments: Form.allCases) func b1RunGetsItsTurnsAndItsWorkflow(form: Form) {
        let p = Self.feed(Self.b1Run(Self.r1, Self.db1, Self.s1, workflow: "surgeon"), form)
        let r = p[Self.r1]
        #expect(p.batch.lineCounts[.malformed] == nil)  // M2: the line without `Tokens:` was malformed
        #expect(r?.currentStatus == .completed)
        #expect(r?.turnCount == 7)
        #expect(r?.turnsSource == "executor")
        #expect(r?.cost == 260_500_000)
        #expect(r?.tokens.byKind.first { $0.kind == "unknown" }?.value == 118435)  // M6: a total, not cache
        #expect(r?.tokens.byKind.first { $0.kind == "cache" }?.value == 0)
        #expect(r?.tools.map(\.name) == ["Read", "Bash"])
        #expect(r?.workflowName == "surgeon")
    }

    @Test(arguments: Form.allCases) func b1AgentFailureEndsTheRunAndNamesNoWorkflow(form: Form) {
        // C2 (agent.py @ dad09055): the exception path; no `Background workflow` line follows it, so the
        // next run's line must still name the next run.
        let failed: [Call] = [
            info("Created workflow run record \(Self.db2) for run_id \(Self.r2)"),
            error("Error in background workflow execution: [Errno 2] No such file or directory: '/srv/ws'"),
            info("Updated workflow run \(Self.r2) status to failed: [Errno 2] No such file or directory: '/srv/ws'"),
        ]
        let p = Self.feed(failed + Self.b1Run(Self.r1, Self.db1, Self.s1, workflow: "genie"), form)
        #expect(p[Self.r2]?.currentStatus == .failed)
        #expect(p[Self.r2]?.workflow == nil)
        #expect(p[Self.r1]?.workflowName == "genie")
    }

    // MARK: 57e89ef4 → 71dececf (HEAD): the executor's turn counts, the result's, precision

    /// sdk_execution_strategies.py, sdk_progress_tracker.py, sdk_message_processor.py, sdk_metrics_handler.py,
    /// sdk_process_manager.py and api/routes/claude_code_routes.py @ 71dececf (`execute_simple`).
    static func headRun(_ run: String, _ session: String, end: [Call]) -> [Call] {
        [
            info("Created workflow run record \(db1) for run_id \(run)"),
            info("SDK Executor: Starting simple execution for run_id: \(run), session: \(session)"),
            info("🔄 Turn 1 - AssistantMessage received"), info("🔄 Turn 2 - AssistantMessage received"),
            info("🔄 Turn 3 - AssistantMessage received"),
            debug("ResultMessage - turns: 2, duration: 38211ms"),
            info("📊 Token usage - Input: 17, Output: 1422, Cache: 46774, Total: 48213"),
            info("SDK Executor: Completed successfully - Turns: 3, Tokens: 48213, Tools: 1"),
            info("Extracted metrics: cost=1.2783756999999998, tokens=48213"),
        ] + end
    }

    @Test(arguments: Form.allCases) func headCompletedRunKeepsThePreciseCostAndTheCLITurns(form: Form) {
        let end: [Call] = [
            info("Marked process \(Self.r1) as completed"),
            info("Updated workflow_runs table for \(Self.r1) to completed"),
            info("Persisted metrics to database for run \(Self.r1)"), info("  - Cost: $1.2784"),
            info("  - Tokens: 48213 total"), info("  - Tools: 1 used"),
            info("Workflow \(Self.r1) completed via direct SDK execution"),
        ]
        // The next run's id-less lines, after the route's line: not the first run's.
        let next = [info("🔄 Turn 1 - AssistantMessage received")]
        let p = Self.feed(Self.headRun(Self.r1, Self.s1, end: end) + next, form)
        let r = p[Self.r1]
        #expect(r?.currentStatus == .completed)
        #expect(r?.cost == 1_278_375_700)  // M5: not the later, rounded 1.2784
        #expect(r?.turnCount == 2)  // M8: the CLI's num_turns, not 3 AssistantMessages
        #expect(r?.turnsSource == "result")
        #expect(r?.totalTokens == 48213)
        #expect(r?.tokens.byKind.first { $0.kind == "cache" }?.value == 46774)
    }

    @Test(arguments: Form.allCases) func headFailurePathsEndTheRunFailed(form: Form) {
        // C3 (routes @ 0ea8982b → HEAD) and the process manager's failed status.
        for end in [
            [error("Workflow execution failed for \(Self.r1): [Errno 28] No space left on device: '/srv/ws'")],
            [
                info("Marked process \(Self.r1) as failed"),
                info("Updated workflow_runs table for \(Self.r1) to failed"),
            ],
        ] {
            let p = Self.feed(Self.headRun(Self.r1, Self.s1, end: end), form)
            #expect(p[Self.r1]?.currentStatus == .failed)
            #expect(p[Self.r1]?.turnCount == 2)
        }
    }

    @Test(arguments: Form.allCases) func aKillIsWrittenByAnotherThreadAndClosesNoBurst(form: Form) {
        // sdk_process_manager.py `terminate_process(run_id, "killed")` from the kill endpoint, while the
        // run's thread is mid-stream; HEAD's kill check is disabled, so the run goes on and ends itself.
        var lines = Self.headRun(Self.r1, Self.s1, end: [])
        lines.insert(
            contentsOf: [
                info("Marked process \(Self.r1) as killed"),
                info("Updated workflow_runs table for \(Self.r1) to killed"),
            ], at: 3)
        let ranOn = Self.feed(
            lines + [
                info("Marked process \(Self.r1) as completed"),
                info("Updated workflow_runs table for \(Self.r1) to completed"),
            ], form)
        #expect(ranOn[Self.r1]?.currentStatus == .completed)
        #expect(ranOn[Self.r1]?.turnCount == 2)
        #expect(ranOn[Self.r1]?.totalTokens == 48213)
        // A run that hangs and is killed stays killed.
        let hung = Self.feed(
            [
                info("SDK Executor: Starting simple execution for run_id: \(Self.r2), session: \(Self.s2)"),
                info("Marked process \(Self.r2) as killed"),
                info("Updated workflow_runs table for \(Self.r2) to killed"),
            ], form)
        #expect(hung[Self.r2]?.currentStatus == .killed)
    }

    // MARK: d8c24d7f → HEAD with input_format=stream-json (M3): no terminate_process, Claude's own session

    /// sdk_execution_strategies.py `_execute_with_stream_input` and the route @ 71dececf; the objects are
    /// Claude Code CLI stream-json lines (the executor's own manual_test_output.jsonl has this shape).
    static func streamStart(_ run: String, _ session: String) -> Call {
        info("SDK Executor: Starting stream-json execution for run_id: \(run), session: \(session)")
    }
    static func streamOutput(_ claude: String, cost: String, turns: Int, tool: String) -> [Call] {
        [
            debug(#"Claude output: {"type":"system","subtype":"init","cwd":"/srv/ws","session_id":"\#(claude)"}"#),
            debug(
                #"Claude output: {"type":"assistant","message":{"content":[{"type":"tool_use","id":"toolu_9\#(tool)","name":"\#(tool)","input":{}}]},"session_id":"\#(claude)"}"#
            ),
            debug(
                #"Claude output: {"type":"result","subtype":"success","is_error":false,"num_turns":\#(turns),"session_id":"\#(claude)","total_cost_usd":\#(cost),"usage":{"input_tokens":5,"output_tokens":7,"cache_creation_input_tokens":11,"cache_read_input_tokens":13}}"#
            ),
        ]
    }
    static func streamEnd(_ run: String, failed: Bool = false) -> [Call] {
        [
            failed ? error("Claude process failed with return code: 1") : info("Claude process completed successfully"),
            info("Workflow \(run) completed via direct SDK execution"),
        ]
    }

    @Test(arguments: Form.allCases) func aStreamJSONRunAloneIsClosedAndGetsItsValues(form: Form) {
        let claude = "2477aa8a-9aee-4162-bd31-afc73bb2c67e"
        let p = Self.feed(
            [Self.streamStart(Self.r1, Self.s1)] + Self.streamOutput(claude, cost: "0.1087", turns: 4, tool: "Write")
                + Self.streamEnd(Self.r1, failed: true), form)
        let r = p[Self.r1]
        #expect(r?.currentStatus == .failed)  // B12: the process's return code
        #expect(r?.cost == 108_700_000)
        #expect(r?.turnCount == 4)
        #expect(r?.totalTokens == 36)
        #expect(r?.toolUses == 1)
        #expect(r?.toolUsesKnown == true)
    }

    @Test(arguments: Form.allCases) func streamJSONRunsInFlightTogetherAreAmbiguousNotGuessed(form: Form) {
        let c1 = "2477aa8a-9aee-4162-bd31-afc73bb2c67e", c2 = "2e7b5cfc-a882-4b90-8700-b663a6f0bd23"
        let a = Self.streamOutput(c1, cost: "1.0000", turns: 4, tool: "Write")
        let b = Self.streamOutput(c2, cost: "2.0000", turns: 6, tool: "Read")
        let p = Self.feed(
            [Self.streamStart(Self.r1, Self.s1), Self.streamStart(Self.r2, Self.s2), a[0], b[0], a[1], b[1], b[2]]
                + Self.streamEnd(Self.r2) + [a[2]] + Self.streamEnd(Self.r1), form)
        for run in [Self.r1, Self.r2] {
            #expect(p[run]?.currentStatus == .completed)
            #expect(p[run]?.attribution == .ambiguous)
            #expect(p[run]?.cost == 0)
        }
        #expect(p.unattributed.flatMap(\.facts).flatMap(\.effects).contains(.cost(nano: 1_000_000_000, .report)))
        #expect(p.unattributed.flatMap(\.facts).flatMap(\.effects).contains(.cost(nano: 2_000_000_000, .report)))
    }

    // MARK: Rows of the audit read on their own

    @Test func restOfTheAuditsRowsAreReadOrDeliberatelyIgnored() {
        func effects(_ m: String, _ level: String = "INFO") -> [Effect] {
            extract(Executor.verbose(m, level: level)).effects
        }
        #expect(effects("SDK Executor (ISOLATED): Captured tool usage - Edit") == [.toolNames(["Edit"])])  // A13
        #expect(effects("SDK Executor: Captured tool - Glob", "DEBUG") == [.toolNames(["Glob"])])  // A15
        #expect(effects("SDK Executor: Fallback extraction successful - captured 3 tools") == [.toolCount(3)])  // A18
        // A26
        #expect(effects("SDK Executor: Extracted token details - Total: 48213") == [.tokens(.total, 48213, .report)])
        #expect(effects("Extracted metrics: cost=None, tokens=48213") == [.tokens(.total, 48213, .report)])  // B3n
        #expect(
            effects("Stream processing complete: 10 turns, $0.2103, 7 tool calls")  // C8
                == [.turns(10, .result), .cost(nano: 210_300_000, .report)])
        let progress = extract(
            Executor.verbose(
                "SDK Executor: Updated real-time progress for \(Self.r1) - Turns: 3, Tools: 2, Phase: executing",
                level: "DEBUG"))  // A27
        #expect(progress.key == .run(Self.r1))
        #expect(progress.effects == [.turns(3, .progress)])
        // C9
        #expect(
            extract(Executor.verbose("Updated real-time progress for run \(Self.r1): Turn 4, Cost $0.1200")).effects
                == [.turns(4, .progress), .cost(nano: 120_000_000, .progress)])
        let a29 = extract(  // sdk_executor.py @ bfe7bdf0
            Executor.verbose("SDK Executor: Starting execution for run_id: \(Self.r1), session: \(Self.s1)"))
        #expect(a29.key == .run(Self.r1))
        #expect(a29.effects == [.started, .session(Self.s1)])
        // C4 restates the session's stored values, naming no run: matched, not malformed, no effect.
        let c4 = extract(
            Executor.verbose(
                "Updated session \(Self.s1) with final status: completed, cost: $0.0000, tokens: 0, tools: 0"))
        #expect(c4.result == .matched)
        #expect(c4.effects.isEmpty)
    }
}
