/// The built-in profile: every metric-bearing line of the automagik "Claude Code SDK executor", from
/// the first release with metrics (2025-06-19) to `main` (d43e7af3) and `dev` (71dececf), as the audit
/// of its source lists them (`shared/executor-formats-audit.md`; ids such as A6 or C3 below are its
/// rows). docs/executor-releases.md says what is read from each release.
extension Profile {
    public static let automagik = Profile(
        name: "automagik",
        rules: automagikRules,
        knownWorkflows: [
            "builder", "guardian", "surgeon", "shipper", "lina", "genie", "brain", "claude", "flashinho_thinker",
        ]
    )
}

private let automagikRules: [Rule] =
    anchors + workspaces + endPaths + reports + bugEra + fixEra + isolationEra + streamEra + continuations + noise

/// Run start and end, identity links, and the workflow name.
private let anchors: [Rule] = [
    Rule(
        "run.start", "Created workflow run record {db:id} for run_id {run:id}",
        role: .startAnchor, key: .run("run"), emits: [.started, .dbId("db")]),
    // M1 (942c33c9 → 15922818): the route inserted the run's record first, so the agent's own insert
    // fails and its end line names no record. Listed before `run.end.session`, which `None` also fits.
    Rule(
        "run.insert.failed",
        "Failed to create workflow run record: Workflow run with run_id '{run:id}' already exists",
        role: .orphanStart, key: .run("run"), strict: false),
    Rule(
        "run.end.session.orphan",
        "Updated session {session:id} with final status: {status:name} (workflow_run_id: None)",
        role: .orphanEnd, key: .session("session"), emits: [.ended(status: "status", .correction)],
        nameFollows: true),
    Rule(
        "run.end.session", "Updated session {session:id} with final status: {status:name} (workflow_run_id: {db:id})",
        role: .endAnchor, key: .dbId("db"), emits: [.ended(status: "status", .correction)], nameFollows: true),
    // C4 (469d583c → af146a86): the same end with the session's stored values, which name no run; the
    // status-endpoint line of that release reports the same values per run.
    Rule(
        "run.end.session.values",
        "Updated session {session:id} with final status: {status:name}, cost: ${cost:decimal}, tokens: {tokens:int}, tools: {tools:int}",
        role: .ignored),
    // A kill is written by the thread that kills (`terminate_process(R, "killed")`), not by the run's,
    // which may go on and end again (HEAD's kill check is disabled): it closes no burst.
    Rule(
        "run.end.table.killed", "Updated workflow_runs table for {run:id} to killed",
        key: .run("run"), emits: [.endedAs(.killed, .correction)]),
    Rule(
        "run.end.table", "Updated workflow_runs table for {run:id} to {status:name}",
        role: .endAnchor, key: .run("run"), emits: [.ended(status: "status", .correction)]),
    Rule("run.record.final", "Updated workflow run record {db:id} with final execution data", key: .dbId("db")),
    Rule(
        "run.process.marked", "Marked process {run:id} as {status:name}",
        key: .run("run"), emits: [.ended(status: "status", .report)]),
    Rule(
        "run.workflow.completed", "Background workflow {workflow:name} completed: {success:text}",
        role: .postEnd, emits: [.workflow("workflow", .report), .succeeded("success")]),
    Rule(
        "run.stream.start", "SDK Executor: Starting stream-json execution for run_id: {run:id}, session: {session:id}",
        role: .streamStart, key: .run("run"), emits: [.started, .session("session")]),
    Rule(
        "run.simple.start", "SDK Executor: Starting simple execution for run_id: {run:id}, session: {session:id}",
        key: .run("run"), emits: [.started, .session("session")]),
    // A29 (bfe7bdf0 → c4235879): the same start, before `execute_simple` had its name.
    Rule(
        "run.exec.start", "SDK Executor: Starting execution for run_id: {run:id}, session: {session:id}",
        key: .run("run"), emits: [.started, .session("session")]),
    Rule(
        "run.log.file", "Created individual log file: {file:rest}",
        emits: [.workflowSessionFile("file")]),
    Rule(
        "access.run",
        "\"POST /api/v1/workflows/claude-code/run/{workflow:name}?{query:text} HTTP/{version:text}\" 2{code:int}{reason:rest}",
        role: .workflowHint, emits: [.workflow("workflow", .hint)], strict: false),
    Rule(
        "access.run.plain",
        "\"POST /api/v1/workflows/claude-code/run/{workflow:name} HTTP/{version:text}\" 2{code:int}{reason:rest}",
        role: .workflowHint, emits: [.workflow("workflow", .hint)], strict: false),
    Rule("executor.restart", "Starting Automagik Agents API", role: .restart),
]

/// The run's git worktree and its auto-commit (docs/workspace.md). `cli_environment.py` and `agent.py`:
/// 22e45cbe (2025-06-19) and HEAD (d43e7af3, `automagik/agents/claude_code/`) print these alike.
private let workspaces: [Rule] = [
    // create_workspace, 41ec21e2 (2025-06-16) → HEAD. No run id: at 22e45cbe its "run_id" is the
    // executor's session id, and the line comes from the run's thread right after its start.
    Rule(
        "workspace.created", "Created worktree workspace: {path:text} on branch {branch:rest}",
        role: .workspace, emits: [.workspace(path: "path", branch: "branch")], strict: false),
    Rule(
        "workspace.reused", "Reusing existing persistent worktree: {path:rest}",
        role: .workspace, emits: [.workspace(path: "path", branch: nil)], strict: false),
    // agent.py, c5713cd9 (2025-06-20) → HEAD: the run id and the path, right after the worktree line.
    Rule(
        "workspace.run", "Created workspace for run {run:id}: {path:rest}",
        role: .workspace, key: .run("run"), emits: [.workspace(path: "path", branch: nil)], strict: false),
    Rule(
        "workspace.external", "Prepared external repository workspace for run {run:id}: {path:rest}",
        role: .workspace, key: .run("run"), emits: [.workspace(path: "path", branch: nil)], strict: false),
    // prepare_workspace: the executor's session id, tied to the run only where a line linked it.
    Rule(
        "workspace.prepared", "Prepared workspace at {path:text} for session {session:id}",
        role: .workspace, key: .session("session"), emits: [.workspace(path: "path", branch: nil)], strict: false),
    // agent.py 9757db94 (2025-06-19) → HEAD, on the success path only; the path may print as `None`.
    Rule(
        "run.autocommit.link",
        "AUTO-COMMIT: Workspace path for run_id={run:id}, claude_session_id={session:id}: {path:rest}",
        role: .workspace, key: .run("run"), emits: [.session("session"), .workspace(path: "path", branch: nil)],
        strict: false, claimsOrphanEnd: true),
    // The outcome, said by the run's thread after its end (agent.py 22e45cbe → HEAD). The formatter
    // prefixes its own emoji, so the line reads `📝 \x1b[92m📝 AUTO-COMMIT: …`; the envelope strips both.
    Rule(
        "run.autocommit.success", "AUTO-COMMIT: ✅ SUCCESS for run {run:id}: {sha:rest}",
        key: .run("run"), emits: [.autoCommit(.committed, detail: "sha")], strict: false, claimsOrphanEnd: true),
    Rule(
        "run.autocommit.failed", "AUTO-COMMIT: ❌ FAILED for run {run:id}: {error:rest}",
        key: .run("run"), emits: [.autoCommit(.failed, detail: "error")], strict: false, claimsOrphanEnd: true),
    Rule(
        "run.autocommit.noworkspace", "AUTO-COMMIT: ⚠\u{FE0F}  No workspace path found for run {run:id}",
        key: .run("run"), emits: [.autoCommit(.noWorkspace, detail: nil)], strict: false, claimsOrphanEnd: true),
    Rule(
        "run.autocommit.exception", "AUTO-COMMIT: 💥 EXCEPTION for run {run:id}: {error:rest}",
        key: .run("run"), emits: [.autoCommit(.failed, detail: "error")], strict: false, claimsOrphanEnd: true),
    // The `else` of the auto-commit's conditions (`result.get("success")` false, or no environment
    // manager): no run id, right after the run's `Background workflow … completed` line.
    Rule(
        "run.autocommit.skipped", "AUTO-COMMIT: ⏭\u{FE0F}  SKIPPED - Conditions not met",
        role: .followsPostEnd, emits: [.autoCommit(.skipped, detail: nil)], strict: false),
    // cli_environment.py auto_commit_with_options (22e45cbe → HEAD), called with the run's own id.
    Rule(
        "run.autocommit.snapshot", "Auto-committed snapshot for run {run:id}: {message:rest}",
        key: .run("run"), emits: [.autoCommit(.committed, detail: nil)], strict: false),
    Rule(
        "run.autocommit.git.failed", "Auto-commit failed for run {run:id}: {error:rest}",
        key: .run("run"), emits: [.autoCommit(.failed, detail: "error")], strict: false),
    Rule(
        "run.autocommit.error", "Error during auto-commit with options for run {run:id}: {error:rest}",
        key: .run("run"), emits: [.autoCommit(.failed, detail: "error")], strict: false),
]

/// How runs end besides their end anchors above: the route's and the agent's exception handlers (M4),
/// HEAD's direct SDK path (M3: `terminate_process` is never called on the stream-json path), kills.
private let endPaths: [Rule] = [
    // C3, routes 0ea8982b → HEAD (ERROR), and C2, the agent dad09055 → HEAD: the run's own task failed.
    Rule(
        "run.failed.route", "Workflow execution failed for {run:id}: {error:rest}",
        role: .endAnchor, key: .run("run"), emits: [.endedAs(.failed, .correction)]),
    Rule(
        "run.failed.agent", "Updated workflow run {run:id} status to failed: {error:rest}",
        role: .endAnchor, key: .run("run"), emits: [.endedAs(.failed, .correction)], strict: false),
    // HEAD's route, after the executor returned whatever it returned: the status is the executor's
    // (`Claude process …` below, or `Marked process`), so this says only that the run is over.
    Rule(
        "run.end.direct", "Workflow {run:id} completed via direct SDK execution",
        role: .lateEndAnchor, key: .run("run"), emits: [.endedAs(.completed, .hint)], strict: false),
    // B12 and its success twin, d8c24d7f → HEAD: the stream-json path's only status lines; no run id.
    Rule(
        "stream.process.completed", "Claude process completed successfully",
        role: .preEnd, emits: [.endedAs(.completed, .report)]),
    Rule(
        "stream.process.failed", "Claude process failed with return code: {code:int}",
        role: .preEnd, emits: [.endedAs(.failed, .report)]),
    // HEAD's kill endpoint (`cancel_execution`).
    Rule(
        "run.killed", "Updated database status for {run:id} to {status:name}",
        key: .run("run"), emits: [.ended(status: "status", .correction)]),
    // C7, the workflow queue (USE_WORKFLOW_QUEUE=true) 1e8e7935 → 3a8914f6: the worker that ran the run
    // ends it, after the run's own burst.
    Rule(
        "run.worker.completed", "Worker {worker:text} completed workflow {run:id} - Success: {success:name}",
        role: .endAnchor, key: .run("run"), emits: [.ended(status: "success", .report)], strict: false),
]

/// What the executor claims: the status endpoint, logged on every poll.
private let reports: [Rule] = [
    Rule(
        "report.status.endpoint",
        "Status endpoint for {run:id}: Using session metadata - Cost: ${cost:decimal}, Tokens: {tokens:int}, Turns: {turns:int}, Tools: {tools:int}",
        key: .run("run"),
        emits: [.report(source: "log", cost: "cost", tokens: "tokens", turns: "turns", tools: "tools")])
]

/// 22e45cbe: the id-less burst of `execute_claude_task`.
private let bugEra: [Rule] = [
    Rule(
        "sdk.final.metrics",
        "SDK Executor: Captured final metrics during streaming - Cost: ${cost:decimal}, Turns: {turns:int}",
        emits: [.cost("cost", .report), .turns("turns", .result)], oncePerRun: true),  // final_metrics['num_turns']
    Rule(
        "sdk.isolated.metrics", "SDK Executor (ISOLATED): Captured metrics - Cost: ${cost:decimal}, Turns: {turns:int}",
        emits: [.cost("cost", .report), .turns("turns", .result)], oncePerRun: true),
    Rule(
        "sdk.taskgroup.threadpool", "SDK Executor: TaskGroup error in thread pool context (expected): {error:rest}",
        emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "sdk.taskgroup.conflict", "TaskGroup conflict detected in SDK execution: {error:rest}",
        emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "sdk.taskgroup.detected", "SDK TaskGroup error detected - this is a known issue with background execution",
        emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "sdk.taskgroup.marking", "SDK Executor: Marking execution as failed due to TaskGroup conflict{detail:rest}",
        emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "sdk.processing", "SDK Executor: Processing {messages:int} collected messages for data extraction",
        oncePerRun: true),
    Rule(
        "sdk.isolated.processing", "SDK Executor (ISOLATED): Processing {messages:int} collected messages",
        oncePerRun: true),
    // M7: each of these is printed once per new tool name (`if block.name not in tools_used`), not per use.
    Rule(
        "sdk.tool.captured", "SDK Executor: Captured tool usage - {tool:text} (id: {id:id})",
        emits: [.toolName("tool")]),
    Rule("sdk.tool.fallback", "SDK Executor: Fallback captured tool - {tool:rest}", emits: [.toolName("tool")]),
    Rule("sdk.tool.subprocess", "SDK Executor (SUBPROCESS): Captured tool - {tool:rest}", emits: [.toolName("tool")]),
    Rule(
        "sdk.tool.isolated", "SDK Executor (ISOLATED): Captured tool usage - {tool:rest}",  // A13
        emits: [.toolName("tool")]),
    Rule("sdk.tool.debug", "SDK Executor: Captured tool - {tool:rest}", emits: [.toolName("tool")]),  // A15, DEBUG
    Rule(
        "sdk.tools.fallback.count", "SDK Executor: Fallback extraction successful - captured {count:int} tools",  // A18
        emits: [.toolCount("count")], oncePerRun: true),
    Rule(
        "sdk.tools.final", "SDK Executor: Final tool extraction results - {count:int} tools captured: {names:pylist}",
        // `count` is the list's length (a tool used twice is listed twice), not a count of distinct tools.
        emits: [.toolNames("names")], oncePerRun: true),
    Rule(
        "sdk.turns.corrected",
        "SDK Executor: Correcting turn count from {reported:int} to {turns:int} based on actual AssistantMessages",
        emits: [.turns("turns", .correction)], oncePerRun: true),
    Rule(
        "sdk.subprocess.completed",
        "SDK Executor (SUBPROCESS): Completed successfully - Turns: {turns:int}, Tools: {tools:int}",
        emits: [.turns("turns", .report), .toolCount("tools")], oncePerRun: true),
    // A6 (42340155 → 0fbda3cb): the streaming variant's TaskGroup line.
    Rule(
        "sdk.taskgroup.streaming", "SDK streaming failed with TaskGroup error: {error:rest}",
        emits: [.taskgroupError], oncePerRun: true),
    // A23 (bfe7bdf0 → c4235879) and B1 (15922818 → b5fc922c, M2): the executor's count; no tokens.
    Rule(
        "sdk.completed.turns.tools", "SDK Executor: Completed successfully - Turns: {turns:int}, Tools: {tools:int}",
        emits: [.turns("turns", .report), .toolCount("tools")], oncePerRun: true),
    Rule(
        "sdk.tokens.total", "SDK Executor: Extracted token details - Total: {tokens:int}",  // A26
        emits: [.tokens(.total, "tokens", .report)], oncePerRun: true),
]

/// 2025-06-20 → 06-22 (1e8e7935 … 6abb32f9): execution isolation, the workflow queue, the stream processor.
private let isolationEra: [Rule] = [
    // The thread-pool path names its run inside its burst (execution_isolator.py, sdk_executor.py).
    Rule(
        "isolator.start", "Isolator: Starting thread pool execution for {run:id}",
        key: .run("run"), strict: false, namesBurst: true),
    Rule(
        "isolator.subprocess.persisted", "SURGICAL SUCCESS: Updated database from subprocess for {run:id}",
        key: .run("run"), strict: false, namesBurst: true),
    Rule(
        "sdk.taskgroup.incomplete", "SDK Executor: TaskGroup error detected - marking as incomplete",  // A9
        emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "sdk.taskgroup.fallback", "SDK TaskGroup error, attempting sync fallback: {error:rest}",  // A10
        emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "sdk.taskgroup.escalation", "SURGICAL ESCALATION: Even isolated execution failed with TaskGroup: {error:rest}",
        emits: [.taskgroupError], oncePerRun: true),  // C11
    Rule(
        "run.taskgroup.diagnosed", "Workflow {run:id} diagnosed with TaskGroup conflict",  // C10
        key: .run("run"), emits: [.taskgroupError], strict: false),
    // A27 and C9 (DEBUG): progress of a named run; the final lines state the values.
    Rule(
        "sdk.progress.run",
        "SDK Executor: Updated real-time progress for {run:id} - Turns: {turns:int}, Tools: {calls:int}, Phase: {phase:rest}",
        key: .run("run"), emits: [.turns("turns", .progress)]),
    Rule(
        "tracker.progress.run", "Updated real-time progress for run {run:id}: Turn {turn:int}, Cost ${cost:decimal}",
        key: .run("run"), emits: [.turns("turn", .progress), .cost("cost", .progress)]),
    // C8 (3cdaa090 → 6abb32f9): the stream processor's summary; its turns are the result's `num_turns`.
    // `tool calls` counts calls without naming the tools, so it is not read.
    Rule(
        "stream.processing.complete",
        "Stream processing complete: {turns:int} turns, ${cost:decimal}, {calls:int} tool calls",
        emits: [.turns("turns", .result), .cost("cost", .report)], oncePerRun: true),
]

/// 0d0f7a83 and 368ba15e: the fix's summary headers (their indented lines are `continuations`).
private let fixEra: [Rule] = [
    Rule(
        "fix.taskgroup.preserved",
        "SURGICAL SUCCESS: TaskGroup conflict occurred but preserving substantial completed work",
        role: .continuationHeader, emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "fix.persisted", "SURGICAL SUCCESS: Persisted metrics to database for run {run:id}",
        role: .continuationHeader, key: .run("run"), namesBurst: true),
    Rule(
        "fix.isolated.extracted",
        "SDK Executor (ISOLATED): Extracted comprehensive metrics - Cost: ${cost:decimal}, Tokens: {tokens:int}",
        emits: [.cost("cost", .report), .tokens(.total, "tokens", .report)], oncePerRun: true),
    Rule(
        "fix.subprocess.tokens", "SDK Executor (SUBPROCESS): Extracted token details - Total: {tokens:int}",
        emits: [.tokens(.total, "tokens", .report)], oncePerRun: true),
]

/// HEAD (July 2025): the stream-json executor.
private let streamEra: [Rule] = [
    Rule(
        "stream.completed",
        "SDK Executor: Completed successfully - Turns: {turns:int}, Tokens: {tokens:int}, Tools: {tools:int}",
        emits: [.turns("turns", .report), .tokens(.total, "tokens", .report), .toolCount("tools")], oncePerRun: true),
    Rule(
        "stream.token.usage",
        "Token usage - Input: {input:int}, Output: {output:int}, Cache: {cache:int}, Total: {total:int}",
        emits: [
            .tokens(.input, "input", .report), .tokens(.output, "output", .report),
            .tokens(.cacheUnsplit, "cache", .report), .tokens(.total, "total", .report),
        ], oncePerRun: true),
    Rule(
        "stream.turn", "Turn {turn:int} - AssistantMessage received",
        emits: [.turns("turn", .progress)], progress: true),
    Rule("stream.total.tokens", "Total tokens: {tokens:int}", emits: [.tokens(.total, "tokens", .progress)]),
    Rule(
        "stream.progress", "Updated progress - Turns: {turns:int}, Tokens: {tokens:int}",
        emits: [.turns("turns", .progress), .tokens(.total, "tokens", .progress)]),
    Rule(
        "stream.extracted", "Extracted metrics: cost={cost:decimal}, tokens={tokens:int}",
        emits: [.cost("cost", .report), .tokens(.total, "tokens", .report)], oncePerRun: true),
    // B3 when the result message had `total_cost_usd: null`: Python prints None.
    Rule(
        "stream.extracted.nocost", "Extracted metrics: cost=None, tokens={tokens:int}",
        emits: [.tokens(.total, "tokens", .report)], oncePerRun: true),
    // B10 (DEBUG): the CLI's own num_turns, which HEAD's INFO turn lines (B5, B2) do not give (M8).
    Rule(
        "stream.result.turns", "ResultMessage - turns: {turns:int}, duration: {ms:int}ms",
        emits: [.turns("turns", .result)], oncePerRun: true),
    Rule(
        "stream.persisted", "Persisted metrics to database for run {run:id}",
        role: .continuationHeader, key: .run("run")),
    Rule("stream.claude.output", "Claude output: {object:json}", emits: [.streamJSON("object")]),
    Rule("stream.json.line", "{object:json}", emits: [.streamJSON("object")], prefix: "{\""),
]

/// The indented lines after a summary header; they carry no id and no label of their own.
private let continuations: [Rule] = [
    Rule("cont.cost", "- Cost: ${cost:decimal}", role: .continuation, emits: [.cost("cost", .report)]),
    Rule(
        "cont.cost.incurred", "- Cost incurred: ${cost:decimal}", role: .continuation, emits: [.cost("cost", .report)]),
    Rule(
        "cont.tokens.split", "- Tokens: {total:int} total ({input:int} in, {output:int} out)", role: .continuation,
        emits: [
            .tokens(.total, "total", .report), .tokens(.input, "input", .report), .tokens(.output, "output", .report),
        ]),
    Rule("cont.tokens", "- Tokens: {total:int} total", role: .continuation, emits: [.tokens(.total, "total", .report)]),
    Rule("cont.tools.used", "- Tools: {tools:int} used", role: .continuation, emits: [.toolCount("tools")]),
    Rule("cont.tools.executed", "- Tools executed: {tools:int}", role: .continuation, emits: [.toolCount("tools")]),
    Rule("cont.turns", "- Turns completed: {turns:int}", role: .continuation, emits: [.turns("turns", .report)]),
    Rule("cont.messages", "- Messages exchanged: {messages:int}", role: .continuation),
    Rule("cont.status", "- Status: {status:name}", role: .continuation),
]

/// Lines whose content the log lost.
private let noise: [Rule] = [
    Rule("journal.blob", "[{bytes:int}B blob data]", role: .unreadable)
]
