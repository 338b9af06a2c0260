/// Maps the JSON objects the executor logs to effects: Claude Code stream-json messages (`system`,
/// `assistant`, `result`) and the per-run JSONL events of `log_manager.py` (`run_id`, `event_type`;
/// HEAD's `claude_message` events carry the SDK message's Python repr, read by `SDKMessageRepr`).
enum StreamJSON {
    struct Mapped {
        var key: ExtractedKey?
        var effects: [Effect]
        /// A number no run can have (`ValueLimits`): the line is malformed.
        var problem: String?
    }

    static func map(_ v: JSONValue, _ b: Bytes) -> Mapped? {
        guard case .object = v else { return nil }
        var n = CheckedNumbers(b)
        var out: Mapped
        if let runId = v["run_id"]?.stringValue, let event = v["event_type"]?.stringValue {
            out = Mapped(key: .run(runId), effects: jsonlEvent(event, v["data"], &n))
        } else {
            guard let type = v["type"]?.stringValue else { return nil }
            let key = v["session_id"]?.stringValue.map(ExtractedKey.session)
            switch type {
            case "assistant":
                var effects = toolUses(in: v["message"]?["content"])
                effects.append(.toolUsesShown)
                out = Mapped(key: key, effects: effects)
            case "result":
                var effects: [Effect] = []
                if let t = n.count(v["num_turns"], "num_turns") { effects.append(.turns(t, .result)) }
                // Older Claude Code results name it `cost_usd` (claude-code-action's sample-turns.json).
                if let c = n.cost(v["total_cost_usd"], "total_cost_usd") ?? n.cost(v["cost_usd"], "cost_usd") {
                    effects.append(.cost(nano: c, .report))
                }
                effects += usage(v["usage"], &n)
                out = Mapped(key: key, effects: effects)
            default:
                out = Mapped(key: key, effects: [])
            }
        }
        out.problem = n.problem
        return out
    }

    private static func jsonlEvent(_ event: String, _ data: JSONValue?, _ n: inout CheckedNumbers) -> [Effect] {
        switch event {
        case "execution_init", "execution_start", "process_start":
            return [.started]
        case "execution_complete", "process_complete":
            var effects: [Effect] = []
            if let s = data?["session_id"]?.stringValue { effects.append(.session(s)) }
            if let c = n.cost(data?["total_cost_usd"], "total_cost_usd") ?? n.cost(data?["cost_usd"], "cost_usd") {
                effects.append(.cost(nano: c, .report))
            }
            // The result message's `num_turns`, as the executor copied it into the event.
            if let t = n.count(data?["total_turns"] ?? data?["num_turns"], "total_turns") {
                effects.append(.turns(t, .result))
            }
            effects += usage(data?["usage"], &n)
            if let ok = data?["success"]?.boolValue { effects.append(.ended(ok ? .completed : .failed, .report)) }
            return effects
        case "workflow_killed":
            // HEAD's kill endpoint writes it into the run's file (`Emergency kill executed for workflow …`).
            return [.ended(.killed, .correction)]
        case "tool_use":
            guard let name = data?["name"]?.stringValue ?? data?["tool_name"]?.stringValue else { return [] }
            return [.toolUse(name: name, id: data?["id"]?.stringValue ?? data?["tool_id"]?.stringValue)]
        case "claude_message":
            // HEAD's per-session files: the SDK message as Python prints it, not as JSON.
            guard var text = data?["message"]?.stringValue else { return [] }
            let (effects, problem) = text.withUTF8 { SDKMessageRepr.checkedEffects($0) }
            if let problem { n.note(problem) }
            return effects
        default:
            return []
        }
    }

    private static func toolUses(in content: JSONValue?) -> [Effect] {
        guard let blocks = content?.arrayValue else { return [] }
        return blocks.compactMap { block in
            guard block["type"]?.stringValue == "tool_use", let name = block["name"]?.stringValue else { return nil }
            return .toolUse(name: name, id: block["id"]?.stringValue)
        }
    }

    private static func usage(_ u: JSONValue?, _ n: inout CheckedNumbers) -> [Effect] {
        guard let u else { return [] }
        var effects: [Effect] = []
        let fields: [(String, TokenField)] = [
            ("input_tokens", .input), ("output_tokens", .output),
            ("cache_creation_input_tokens", .cacheCreation), ("cache_read_input_tokens", .cacheRead),
        ]
        for (key, field) in fields {
            if let t = n.count(u[key], key) { effects.append(.tokens(field, t, .report)) }
        }
        return effects
    }
}

/// Numbers read from a JSON object, each checked where it is read (`ValueLimits`): the first that no run
/// can have is kept as the line's problem, and no effect is made of it.
struct CheckedNumbers {
    let b: Bytes
    private(set) var problem: String?

    init(_ b: Bytes) { self.b = b }

    mutating func count(_ v: JSONValue?, _ field: String) -> Int64? {
        guard case .number(let r)? = v else { return nil }
        guard let n = NumberParser.int(b, r) ?? NumberParser.nano(b, r).map({ $0 / 1_000_000_000 }) else {
            return fail("\(field) \(b.string(r)) is not a count")
        }
        if let why = ValueLimits.countProblem(n) { return fail("\(field) \(b.string(r)) \(why)") }
        return n
    }

    mutating func cost(_ v: JSONValue?, _ field: String) -> Int64? {
        guard case .number(let r)? = v else { return nil }
        guard let c = NumberParser.nano(b, r) else { return fail("\(field) \(b.string(r)) is not a number") }
        if let why = ValueLimits.costProblem(c) { return fail("\(field) \(b.string(r)) \(why)") }
        return c
    }

    /// Keeps `why` as the line's problem unless an earlier number already made one.
    mutating func note(_ why: String) { if problem == nil { problem = why } }

    private mutating func fail(_ why: String) -> Int64? {
        note(why)
        return nil
    }
}
