import Testing

@testable import RunLedgerCore

/// Every metric-bearing line of the executor-log-formats document, by release.
@Suite struct ExtractorTests {
    let runA = "6fa6ada1-dc7e-465b-85a8-8f005518f95b"

    @Test func bugEraBurstLines() {
        let x = extract(
            Executor.verbose("SDK Executor: Captured final metrics during streaming - Cost: $0.1087, Turns: 4"))
        #expect(x.result == .matched)
        #expect(x.effects == [.cost(nano: 108_700_000, .report), .turns(4, .result)])
        #expect(x.key == nil)

        let tool = extract(
            Executor.verbose("SDK Executor: Captured tool usage - Write (id: toolu_015GQW8dh1XLjJzSkfFVnjxg)"))
        // Printed once per new tool name (audit M7): a distinct name, not a use.
        #expect(tool.effects == [.toolNames(["Write"])])

        let list = extract(
            Executor.verbose(
                "SDK Executor: Final tool extraction results - 5 tools captured: ['mcp__agent-memory__search_memory_nodes', 'mcp__agent-memory__search_memory_facts', 'TodoWrite', 'LS', 'Read']"
            ))
        #expect(
            list.effects == [
                .toolNames([
                    "mcp__agent-memory__search_memory_nodes", "mcp__agent-memory__search_memory_facts", "TodoWrite",
                    "LS", "Read",
                ])
            ])

        let corrected = extract(
            Executor.verbose("SDK Executor: Correcting turn count from 0 to 10 based on actual AssistantMessages"))
        #expect(corrected.effects == [.turns(10, .correction)])

        let tg = extract(
            Executor.verbose(
                "SDK Executor: TaskGroup error in thread pool context (expected): unhandled errors in a TaskGroup (1 sub-exception)"
            ))
        #expect(tg.effects == [.taskgroupError])
        let marking = extract(
            Executor.verbose("SDK Executor: Marking execution as failed due to TaskGroup conflict", level: "ERROR"))
        #expect(marking.effects == [.taskgroupError])
    }

    @Test func anchorsNameTheirRun() {
        let start = extract(
            Executor.verbose(
                "Created workflow run record 3b1f0c52-8e0d-4c3a-9a57-2f6d1c0b7e44 for run_id \(runA)",
                logger: "src.agents.claude_code.agent"))
        #expect(start.role == .startAnchor)
        #expect(start.key == .run(runA))
        #expect(start.effects == [.started, .dbId("3b1f0c52-8e0d-4c3a-9a57-2f6d1c0b7e44")])

        let end = extract(
            Executor.verbose(
                "Updated session 1d2b7f9e-0c3a-4b8e-9f11-5e6a7c8d9e01 with final status: completed (workflow_run_id: 3b1f0c52-8e0d-4c3a-9a57-2f6d1c0b7e44)"
            ))
        #expect(end.role == .endAnchor)
        #expect(end.key == .dbId("3b1f0c52-8e0d-4c3a-9a57-2f6d1c0b7e44"))
        #expect(end.effects == [.ended(.completed, .correction)])

        let head = extract(Executor.verbose("Updated workflow_runs table for \(runA) to failed"))
        #expect(head.role == .endAnchor)
        #expect(head.key == .run(runA))
        #expect(head.effects == [.ended(.failed, .correction)])
    }

    @Test func statusEndpointIsAReport() {
        let x = extract(
            Executor.verbose(
                "Status endpoint for \(runA): Using session metadata - Cost: $0.0000, Tokens: 0, Turns: 0, Tools: 0",
                logger: "src.api.routes.claude_code_routes"))
        #expect(x.key == .run(runA))
        #expect(x.effects == [.report(source: "log", Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0))])
        // The same line through journalctl's short output.
        let j = extract(
            "Jun 19 18:14:29 DESKTOP-7QK2M python[48211]: 📝 \u{1B}[92mStatus endpoint for \(runA): Using session metadata - Cost: $1.5000, Tokens: 7, Turns: 2, Tools: 1\u{1B}[0m"
        )
        #expect(
            j.effects == [.report(source: "log", Report(costNano: 1_500_000_000, totalTokens: 7, turns: 2, tools: 1))])
    }

    @Test func fixEraContinuationLines() {
        let header = extract(Executor.verbose("SURGICAL SUCCESS: Persisted metrics to database for run \(runA)"))
        #expect(header.role == .continuationHeader)
        #expect(header.key == .run(runA))
        let tokens = extract(Executor.verbose("  - Tokens: 48213 total (17 in, 1422 out)"))
        #expect(tokens.role == .continuation)
        #expect(
            tokens.effects == [
                .tokens(.total, 48213, .report), .tokens(.input, 17, .report), .tokens(.output, 1422, .report),
            ])
        let cost = extract(Executor.verbose("  - Cost incurred: $0.4093"))
        #expect(cost.effects == [.cost(nano: 409_300_000, .report)])
        let preserved = extract(
            Executor.verbose(
                "SURGICAL SUCCESS: TaskGroup conflict occurred but preserving substantial completed work",
                level: "WARNING"))
        #expect(preserved.effects == [.taskgroupError])
        #expect(preserved.role == .continuationHeader)
    }

    @Test func streamEraLines() {
        let usage = extract(
            Executor.verbose(
                "📊 Token usage - Input: 17, Output: 1422, Cache: 46774, Total: 48213",
                logger: "automagik.agents.claude_code.sdk_message_processor"))
        #expect(
            usage.effects == [
                .tokens(.input, 17, .report), .tokens(.output, 1422, .report), .tokens(.cacheUnsplit, 46774, .report),
                .tokens(.total, 48213, .report),
            ])
        let done = extract(Executor.verbose("SDK Executor: Completed successfully - Turns: 4, Tokens: 48213, Tools: 1"))
        #expect(done.effects == [.turns(4, .report), .tokens(.total, 48213, .report), .toolCount(1)])
        let start = extract(
            Executor.verbose(
                "SDK Executor: Starting stream-json execution for run_id: \(runA), session: 0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318"
            ))
        #expect(start.key == .run(runA))
        #expect(start.effects == [.started, .session("0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318")])
        let file = extract(
            Executor.verbose("Created individual log file: flashinho_thinker_0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318.log"))
        #expect(file.key == .session("0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318"))
        #expect(file.effects == [.workflow("flashinho_thinker", .report)])
    }

    @Test func claudeOutputResultObject() {
        let json =
            #"{"type":"result","subtype":"success","is_error":false,"duration_ms":38211,"duration_api_ms":35902,"num_turns":4,"result":"Created hello.py","session_id":"0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318","total_cost_usd":0.1087,"usage":{"input_tokens":17,"cache_creation_input_tokens":9876,"cache_read_input_tokens":36898,"output_tokens":1422,"service_tier":"standard"}}"#
        let x = extract(Executor.verbose("Claude output: \(json)", level: "DEBUG"))
        #expect(x.result == .matched)
        #expect(x.key == .session("0b6c2f7e-3d41-4a9b-8e55-91f0a2c7d318"))
        #expect(
            x.effects == [
                .turns(4, .result), .cost(nano: 108_700_000, .report), .tokens(.input, 17, .report),
                .tokens(.output, 1422, .report), .tokens(.cacheCreation, 9876, .report),
                .tokens(.cacheRead, 36898, .report),
            ])
        // The same object as a raw stream-json line.
        #expect(extract(json).effects == x.effects)
    }

    @Test func assistantToolUseBlocksAreUses() {
        let json =
            #"{"type":"assistant","message":{"content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}},{"type":"tool_use","id":"toolu_2","name":"Read","input":{"path":"a \"b\""}}]},"session_id":"s1"}"#
        let x = extract(json)
        // Each use is shown, so the run's uses can be counted (none counts too).
        #expect(
            x.effects == [.toolUse(name: "Bash", id: "toolu_1"), .toolUse(name: "Read", id: "toolu_2"), .toolUsesShown])
        #expect(x.key == .session("s1"))
    }

    @Test func perRunJSONLEventCarriesTheRunId() {
        let line =
            #"{"timestamp": "2025-06-19T21:14:06.903118+00:00", "run_id": "6fa6ada1-dc7e-465b-85a8-8f005518f95b", "event_type": "execution_complete", "event_category": "lifecycle", "data": {"success": true, "total_cost_usd": 0.1087, "duration_ms": 38211, "total_turns": 4, "session_id": "0b6c2f7e"}}"#
        let x = extract(line)
        #expect(x.key == .run(runA))
        #expect(
            x.effects == [
                .session("0b6c2f7e"), .cost(nano: 108_700_000, .report), .turns(4, .result),
                .ended(.completed, .report),
            ])
    }

    @Test func uvicornPostGivesAWorkflowHint() {
        let x = extract(
            "INFO:     127.0.0.1:34793 - \"POST /api/v1/workflows/claude-code/run/builder?persistent=true HTTP/1.1\" 200 OK"
        )
        #expect(x.role == .workflowHint)
        #expect(x.effects == [.workflow("builder", .hint)])
        // A failed start, or the kill endpoint, is not a run start.
        #expect(
            extract(
                "INFO:     127.0.0.1:1 - \"POST /api/v1/workflows/claude-code/run/builder HTTP/1.1\" 500 Internal Server Error"
            ).result == .ignored)
        #expect(
            extract("INFO:     127.0.0.1:1 - \"POST /api/v1/workflows/claude-code/run/\(runA)/kill HTTP/1.1\" 200 OK")
                .result == .ignored)
    }

    @Test func linesWithoutMetricsAreIgnored() {
        #expect(extract(Executor.verbose("Loaded system prompt from /x/prompt.md (6412 chars)")).result == .ignored)
        #expect(
            extract("2025-06-19 18:15:02,331 - asyncio - ERROR - Task exception was never retrieved").result == .ignored
        )
        #expect(extract("  | BaseExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)").result == .ignored)
        #expect(extract("").result == .ignored)
    }

    @Test func malformedLinesAreCountedNotParsed() {
        let badCost = extract(
            Executor.verbose("SDK Executor: Captured final metrics during streaming - Cost: $abc, Turns: 4"))
        #expect(badCost.result == .malformed)
        #expect(badCost.effects.isEmpty)
        #expect(badCost.problem?.contains("sdk.final.metrics") == true)

        let cut = extract(
            "2025-06-19 18:16:10,004 - src.agents.claude_code.sdk_executor - INFO - 📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $0.21"
        )
        #expect(cut.result == .malformed)

        let nul = extract(Executor.verbose("SDK Executor: Captured tool usage - Wr\u{0}ite (id: toolu_1)"))
        #expect(nul.result == .malformed)

        let long = extract(
            Executor.verbose(
                "SDK Executor: Captured tool usage - " + String(repeating: "x", count: 1_000_000) + " (id: toolu_1)"))
        #expect(long.result == .malformed)

        var bytes = Array(Executor.verbose("SDK Executor: Captured tool usage - Write (id: toolu_1)").utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "W"))!
        bytes[at] = 0xC3  // a lead byte followed by ASCII: not UTF-8
        let notUTF8 = withBytes(bytes) { makeExtractor().extract($0) }
        #expect(notUTF8.result == .malformed)

        let blob = extract("Jun 19 18:14:29 DESKTOP-7QK2M python[48211]: [121B blob data]")
        #expect(blob.result == .malformed)
    }

    @Test func everyBuiltInRuleCompilesAndHasAUniqueName() throws {
        let names = Profile.automagik.rules.map(\.name)
        #expect(Set(names).count == names.count)
        _ = try Extractor(profile: .automagik)
    }

    @Test func aProfileWithABadRuleIsRejectedNamingTheRule() {
        let bad = Profile(
            name: "p", rules: [Rule("broken", "Cost: {c:decimal}", emits: [.cost("missing", .report)])],
            knownWorkflows: [])
        #expect {
            try Extractor(profile: bad)
        } throws: { error in
            "\(error)".contains("broken") && "\(error)".contains("missing")
        }
    }
}

/// Issue 13, finding 1: a number no run can have makes its line malformed, with the reason, wherever
/// it is read (text rules, stream-json, per-run JSONL, SDK reprs); before, JSON and repr numbers were
/// not checked and a negative count made a counter decrease, which trapped on every restart.
@Suite struct NumberRangeTests {
    @Test(arguments: [
        (
            #"Claude output: {"type":"result","num_turns":3,"total_cost_usd":0.5,"session_id":"s","usage":{"input_tokens":-5}}"#,
            "input_tokens -5 is negative"
        ),
        (#"{"type":"result","num_turns":-1,"session_id":"s"}"#, "num_turns -1 is negative"),
        (
            #"{"type":"result","num_turns":99999999999999999999,"session_id":"s"}"#,
            "num_turns 99999999999999999999 is not a count"
        ),
        (#"{"type":"result","total_cost_usd":1e9,"session_id":"s"}"#, "total_cost_usd 1e9 is over 100,000 USD"),
        (
            #"{"timestamp": "t", "run_id": "r", "event_type": "execution_complete", "data": {"total_cost_usd": -1}}"#,
            "total_cost_usd -1 is negative"
        ),
        (
            "SDK Executor: Captured final metrics during streaming - Cost: $0.1000, Turns: 999999999999999999",
            "turns '999999999999999999' is over 10^12"
        ),
        (
            "SDK Executor: Captured final metrics during streaming - Cost: $9223372036.85, Turns: 4",
            "is over 100,000 USD"
        ),
        ("  - Tokens: -48213 total", "tokens '-48213' is negative"),
    ])
    func aNumberNoRunCanHaveMakesTheLineMalformed(line: String, reason: String) {
        let x = extract(Executor.verbose(line))
        #expect(x.result == .malformed, "\(line)")
        #expect(x.effects.isEmpty)
        #expect(x.problem?.contains(reason) == true, "\(x.problem ?? "no problem")")
    }

    @Test func anSDKReprCountMustBeInRangeToo() {
        let line =
            #"{"timestamp": "t", "run_id": "r", "event_type": "claude_message", "data": {"message": "ResultMessage(subtype='success', num_turns=-3, total_cost_usd=0.25)"}}"#
        let x = extract(line)
        #expect(x.result == .malformed)
        #expect(x.problem?.contains("num_turns -3 is negative") == true, "\(x.problem ?? "")")
    }

    @Test func valuesAtTheLimitsAreRead() {
        let x = extract(
            Executor.verbose(
                "SDK Executor: Captured final metrics during streaming - Cost: $100000, Turns: 1000000000000"))
        #expect(x.effects == [.cost(nano: ValueLimits.costNano, .report), .turns(ValueLimits.count, .result)])
    }
}
