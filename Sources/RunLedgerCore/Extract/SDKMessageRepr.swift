/// Reads the Python `repr` of a Claude Code SDK message, as HEAD's per-session files log it in
/// `claude_message` events, whose `data.message` is `str(message)` (executor-log-formats.md §2, §7):
///
///     ResultMessage(subtype='success', duration_ms=5012, duration_api_ms=4870, is_error=False,
///                   num_turns=10, session_id='…', total_cost_usd=0.4241,
///                   usage={'input_tokens': 12, 'output_tokens': 345, …}, result='…')
///     AssistantMessage(content=[TextBlock(text='…'), ToolUseBlock(id='toolu_…', name='Bash', input={…})])
///
/// Only the structure is read (`PythonRepr`): a text or a result that mentions `ToolUseBlock(` or
/// `num_turns=` is never taken for one. Anything else yields no effects.
enum SDKMessageRepr {
    static func effects(_ b: Bytes) -> [Effect] {
        guard let message = PythonRepr.call(b, 0..<b.count) else { return [] }
        switch message.name {
        case "ResultMessage": return result(message.arguments, b)
        case "AssistantMessage": return toolUses(message.arguments, b) + [.toolUsesShown]
        default: return []
        }
    }

    /// The same facts as a stream-json `result` object (`StreamJSON`), with the session it names.
    private static func result(_ arguments: [String: Range<Int>], _ b: Bytes) -> [Effect] {
        var effects: [Effect] = []
        if let r = arguments["session_id"], let s = PythonRepr.string(b, r) { effects.append(.session(s)) }
        if let r = arguments["num_turns"], let n = NumberParser.int(b, r) { effects.append(.turns(n, .result)) }
        if let r = arguments["total_cost_usd"] ?? arguments["cost_usd"], let c = NumberParser.nano(b, r) {
            effects.append(.cost(nano: c, .report))
        }
        if let r = arguments["usage"], let usage = PythonRepr.dictionary(b, r) {
            let fields: [(String, TokenField)] = [
                ("input_tokens", .input), ("output_tokens", .output),
                ("cache_creation_input_tokens", .cacheCreation), ("cache_read_input_tokens", .cacheRead),
            ]
            for (key, field) in fields {
                if let v = usage[key], let n = NumberParser.int(b, v) { effects.append(.tokens(field, n, .report)) }
            }
        }
        return effects
    }

    private static func toolUses(_ arguments: [String: Range<Int>], _ b: Bytes) -> [Effect] {
        guard let content = arguments["content"], let items = PythonRepr.list(b, content) else { return [] }
        return items.compactMap { item in
            guard let block = PythonRepr.call(b, item), block.name == "ToolUseBlock",
                let name = block.arguments["name"].flatMap({ PythonRepr.string(b, $0) }), !name.isEmpty
            else { return nil }
            return .toolUse(name: name, id: block.arguments["id"].flatMap { PythonRepr.string(b, $0) })
        }
    }
}
