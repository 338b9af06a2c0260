import Testing

@testable import RunLedgerCore

/// HEAD's per-session files log each SDK message as `str(message)` in a `claude_message` event
/// (executor-log-formats.md §2, §7): a Python dataclass repr inside a JSON string.
@Suite struct SDKMessageReprTests {
    private func effects(_ repr: String) -> [Effect] {
        var text = repr
        return text.withUTF8 { SDKMessageRepr.effects($0) }
    }

    @Test func aResultMessageGivesTurnsCostTokensAndSession() {
        let repr =
            "ResultMessage(subtype='success', duration_ms=38211, duration_api_ms=37002, is_error=False, num_turns=4, session_id='0b6c2f7e', total_cost_usd=0.1087, usage={'input_tokens': 12, 'cache_creation_input_tokens': 2048, 'cache_read_input_tokens': 9000, 'output_tokens': 345, 'server_tool_use': {'web_search_requests': 0}, 'service_tier': 'standard'}, result='Done: num_turns=99, total_cost_usd=9.0')"
        #expect(
            effects(repr) == [
                .session("0b6c2f7e"), .turns(4, .result), .cost(nano: 108_700_000, .report),
                .tokens(.input, 12, .report), .tokens(.output, 345, .report),
                .tokens(.cacheCreation, 2048, .report), .tokens(.cacheRead, 9000, .report),
            ])
    }

    @Test func noCostAndScientificCostsAreRead() {
        #expect(
            effects("ResultMessage(subtype='error_max_turns', num_turns=2, total_cost_usd=None, usage=None)") == [
                .turns(2, .result)
            ])
        #expect(
            effects("ResultMessage(num_turns=1, total_cost_usd=5e-05)") == [
                .turns(1, .result), .cost(nano: 50_000, .report),
            ])
    }

    @Test func toolUseBlocksAreUsesAndQuotedTextIsNot() {
        let repr =
            #"AssistantMessage(content=[TextBlock(text='I will call ToolUseBlock(id=\'fake\', name=\'Nope\') now, [x], (y)'), ToolUseBlock(id='toolu_01', name='Bash', input={'command': 'ls -la, then (cd x)', 'n': [1, 2]}), ToolUseBlock(id="toolu_02", name="mcp__git__git_status", input={})])"#
        #expect(
            effects(repr) == [
                .toolUse(name: "Bash", id: "toolu_01"), .toolUse(name: "mcp__git__git_status", id: "toolu_02"),
                .toolUsesShown,
            ])
    }

    @Test func otherMessagesAndBrokenTextGiveNothing() {
        for repr in [
            "UserMessage(content=[ToolResultBlock(tool_use_id='toolu_01', content='ok', is_error=None)])",
            "SystemMessage(subtype='init', data={'session_id': 's'})",
            "ResultMessage(num_turns=4",
            "AssistantMessage(content=[ToolUseBlock(id='toolu_01', name='Bash'",
            "num_turns=4", "", "(((", "'unclosed",
        ] {
            #expect(effects(repr).isEmpty, "\(repr)")
        }
    }

    /// The whole path: a JSONL line of a per-session file, through the extractor.
    @Test func aClaudeMessageEventIsReadThroughTheExtractor() {
        let line =
            #"{"timestamp": "2025-07-31T10:00:05.000000+00:00", "run_id": "6fa6ada1-dc7e-465b-85a8-8f005518f95b", "event_type": "claude_message", "event_category": "other", "data": {"message": "ResultMessage(subtype='success', is_error=False, num_turns=7, session_id='s-1', total_cost_usd=0.25, usage={'input_tokens': 3, 'output_tokens': 4}, result=\"it's \\\"done\\\"\")"}}"#
        let x = extract(line)
        #expect(x.result == .matched)
        #expect(x.key == .run("6fa6ada1-dc7e-465b-85a8-8f005518f95b"))
        #expect(
            x.effects == [
                .session("s-1"), .turns(7, .result), .cost(nano: 250_000_000, .report), .tokens(.input, 3, .report),
                .tokens(.output, 4, .report),
            ])
    }
}
