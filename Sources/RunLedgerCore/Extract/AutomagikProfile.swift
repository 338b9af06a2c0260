/// The built-in profile: every metric-bearing line of the automagik "Claude Code SDK executor" in its
/// three releases (22e45cbe with both bugs, the 0d0f7a83 fix, and the July 2025 stream-json executor),
/// as documented in `shared/executor-log-formats.md`.
extension Profile {
    public static let automagik = Profile(
        name: "automagik",
        rules: automagikRules,
        knownWorkflows: [
            "builder", "guardian", "surgeon", "shipper", "lina", "genie", "brain", "claude", "flashinho_thinker",
        ]
    )
}

private let automagikRules: [Rule] = anchors + reports + bugEra + fixEra + streamEra + continuations + noise

/// Run start and end, identity links, and the workflow name.
private let anchors: [Rule] = [
    Rule(
        "run.start", "Created workflow run record {db:id} for run_id {run:id}",
        role: .startAnchor, key: .run("run"), emits: [.started, .dbId("db")]),
    Rule(
        "run.end.session", "Updated session {session:id} with final status: {status:name} (workflow_run_id: {db:id})",
        role: .endAnchor, key: .dbId("db"), emits: [.ended(status: "status", .correction)]),
    Rule(
        "run.end.table", "Updated workflow_runs table for {run:id} to {status:name}",
        role: .endAnchor, key: .run("run"), emits: [.ended(status: "status", .correction)]),
    Rule("run.record.final", "Updated workflow run record {db:id} with final execution data", key: .dbId("db")),
    Rule(
        "run.process.marked", "Marked process {run:id} as {status:name}",
        key: .run("run"), emits: [.ended(status: "status", .report)]),
    Rule(
        "run.workflow.completed", "Background workflow {workflow:name} completed: {success:text}",
        role: .postEnd, emits: [.workflow("workflow", .report)]),
    Rule(
        "run.stream.start", "SDK Executor: Starting stream-json execution for run_id: {run:id}, session: {session:id}",
        key: .run("run"), emits: [.started, .session("session")]),
    Rule(
        "run.simple.start", "SDK Executor: Starting simple execution for run_id: {run:id}, session: {session:id}",
        key: .run("run"), emits: [.started, .session("session")]),
    Rule(
        "run.log.file", "Created individual log file: {file:rest}",
        emits: [.workflowSessionFile("file")]),
    Rule(
        "run.autocommit.link",
        "AUTO-COMMIT: Workspace path for run_id={run:id}, claude_session_id={session:id}: {path:rest}",
        key: .run("run"), emits: [.session("session")]),
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
        emits: [.cost("cost", .report), .turns("turns", .report)], oncePerRun: true),
    Rule(
        "sdk.isolated.metrics", "SDK Executor (ISOLATED): Captured metrics - Cost: ${cost:decimal}, Turns: {turns:int}",
        emits: [.cost("cost", .report), .turns("turns", .report)], oncePerRun: true),
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
    Rule(
        "sdk.tool.captured", "SDK Executor: Captured tool usage - {tool:text} (id: {id:id})",
        emits: [.toolUse(name: "tool", id: "id")]),
    Rule(
        "sdk.tool.fallback", "SDK Executor: Fallback captured tool - {tool:rest}",
        emits: [.toolUse(name: "tool", id: nil)]),
    Rule(
        "sdk.tool.subprocess", "SDK Executor (SUBPROCESS): Captured tool - {tool:rest}",
        emits: [.toolUse(name: "tool", id: nil)]),
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
]

/// 0d0f7a83 and 368ba15e: the fix's summary headers (their indented lines are `continuations`).
private let fixEra: [Rule] = [
    Rule(
        "fix.taskgroup.preserved",
        "SURGICAL SUCCESS: TaskGroup conflict occurred but preserving substantial completed work",
        role: .continuationHeader, emits: [.taskgroupError], oncePerRun: true),
    Rule(
        "fix.persisted", "SURGICAL SUCCESS: Persisted metrics to database for run {run:id}",
        role: .continuationHeader, key: .run("run")),
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
