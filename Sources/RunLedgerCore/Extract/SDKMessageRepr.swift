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
    static func effects(_ b: Bytes) -> [Effect] { checkedEffects(b).effects }

    /// The effects, and the first number no run can have (`ValueLimits`), which makes the line malformed.
    static func checkedEffects(_ b: Bytes) -> (effects: [Effect], problem: String?) {
        guard let message = PythonRepr.call(b, 0..<b.count) else { return ([], nil) }
        switch message.name {
        case "ResultMessage": return result(message.arguments, b)
        case "AssistantMessage":
            var effects = toolUses(message.arguments, b)
            effects.append(.toolUsesShown)
            return (effects, nil)
        default: return ([], nil)
        }
    }

    /// The same facts as a stream-json `result` object (`StreamJSON`), with the session it names.
    private static func result(_ arguments: [String: Range<Int>], _ b: Bytes) -> ([Effect], String?) {
        var effects: [Effect] = []
        var problem: String?
        func checked(_ r: Range<Int>, _ field: String, _ value: Int64?, _ limit: (Int64) -> String?) -> Int64? {
            guard let value else {
                problem = problem ?? "\(field) \(b.string(r)) is not a number"
                return nil
            }
            if let why = limit(value) {
                problem = problem ?? "\(field) \(b.string(r)) \(why)"
                return nil
            }
            return value
        }
        if let r = arguments["session_id"], let s = PythonRepr.string(b, r) { effects.append(.session(s)) }
        if let r = arguments["num_turns"], !isNone(b, r),
            let n = checked(r, "num_turns", NumberParser.int(b, r), ValueLimits.countProblem)
        {
            effects.append(.turns(n, .result))
        }
        if let (key, r) = [("total_cost_usd", arguments["total_cost_usd"]), ("cost_usd", arguments["cost_usd"])]
            .lazy.compactMap({ k, r in r.flatMap { isNone(b, $0) ? nil : (k, $0) } }).first,
            let c = checked(r, key, NumberParser.nano(b, r), ValueLimits.costProblem)
        {
            effects.append(.cost(nano: c, .report))
        }
        if let r = arguments["usage"], let usage = PythonRepr.dictionary(b, r) {
            let fields: [(String, TokenField)] = [
                ("input_tokens", .input), ("output_tokens", .output),
                ("cache_creation_input_tokens", .cacheCreation), ("cache_read_input_tokens", .cacheRead),
            ]
            for (key, field) in fields {
                if let v = usage[key], let n = checked(v, key, NumberParser.int(b, v), ValueLimits.countProblem) {
                    effects.append(.tokens(field, n, .report))
                }
            }
        }
        return (effects, problem)
    }

    private static func isNone(_ b: Bytes, _ r: Range<Int>) -> Bool { b.string(r) == "None" }

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
