/// Maps the JSON objects the executor logs to effects: Claude Code stream-json messages (`system`,
/// `assistant`, `result`) and the per-run JSONL events of `log_manager.py` (`run_id`, `event_type`;
/// HEAD's `claude_message` events carry the SDK message's Python repr, read by `SDKMessageRepr`).
enum StreamJSON {
    struct Mapped {
        var key: ExtractedKey?
        var effects: [Effect]
    }

    static func map(_ v: JSONValue, _ b: Bytes) -> Mapped? {
        guard case .object = v else { return nil }
        if let runId = v["run_id"]?.stringValue, let event = v["event_type"]?.stringValue {
            return Mapped(key: .run(runId), effects: jsonlEvent(event, v["data"], b))
        }
        guard let type = v["type"]?.stringValue else { return nil }
        let key = v["session_id"]?.stringValue.map(ExtractedKey.session)
        switch type {
        case "assistant":
            return Mapped(key: key, effects: toolUses(in: v["message"]?["content"]) + [.toolUsesShown])
        case "result":
            var effects: [Effect] = []
            if let n = integer(v["num_turns"], b) { effects.append(.turns(n, .result)) }
            // Older Claude Code results name it `cost_usd` (claude-code-action's sample-turns.json).
            if let c = nano(v["total_cost_usd"], b) ?? nano(v["cost_usd"], b) {
                effects.append(.cost(nano: c, .report))
            }
            effects += usage(v["usage"], b)
            return Mapped(key: key, effects: effects)
        default:
            return Mapped(key: key, effects: [])
        }
    }

    private static func jsonlEvent(_ event: String, _ data: JSONValue?, _ b: Bytes) -> [Effect] {
        switch event {
        case "execution_init", "execution_start", "process_start":
            return [.started]
        case "execution_complete", "process_complete":
            var effects: [Effect] = []
            if let s = data?["session_id"]?.stringValue { effects.append(.session(s)) }
            if let c = nano(data?["total_cost_usd"], b) ?? nano(data?["cost_usd"], b) {
                effects.append(.cost(nano: c, .report))
            }
            // The result message's `num_turns`, as the executor copied it into the event.
            if let n = integer(data?["total_turns"] ?? data?["num_turns"], b) { effects.append(.turns(n, .result)) }
            effects += usage(data?["usage"], b)
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
            return text.withUTF8 { SDKMessageRepr.effects($0) }
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

    private static func usage(_ u: JSONValue?, _ b: Bytes) -> [Effect] {
        guard let u else { return [] }
        var effects: [Effect] = []
        let fields: [(String, TokenField)] = [
            ("input_tokens", .input), ("output_tokens", .output),
            ("cache_creation_input_tokens", .cacheCreation), ("cache_read_input_tokens", .cacheRead),
        ]
        for (key, field) in fields {
            if let n = integer(u[key], b) { effects.append(.tokens(field, n, .report)) }
        }
        return effects
    }

    private static func integer(_ v: JSONValue?, _ b: Bytes) -> Int64? {
        guard case .number(let r)? = v else { return nil }
        return NumberParser.int(b, r) ?? NumberParser.nano(b, r).map { $0 / 1_000_000_000 }
    }

    private static func nano(_ v: JSONValue?, _ b: Bytes) -> Int64? {
        guard case .number(let r)? = v else { return nil }
        return NumberParser.nano(b, r)
    }
}
