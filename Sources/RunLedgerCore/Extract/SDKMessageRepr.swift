/// Reads the Python `repr` of a Claude Code SDK message, as HEAD's per-session files log it in
/// `claude_message` events, whose `data.message` is `str(message)` (executor-log-formats.md §2, §7):
///
///     ResultMessage(subtype='success', duration_ms=5012, duration_api_ms=4870, is_error=False,
///                   num_turns=10, session_id='…', total_cost_usd=0.4241,
///                   usage={'input_tokens': 12, 'output_tokens': 345, …}, result='…')
///     AssistantMessage(content=[TextBlock(text='…'), ToolUseBlock(id='toolu_…', name='Bash', input={…})])
///
/// Only the structure is read: quoted strings are skipped whole, so a text or a result that mentions
/// `ToolUseBlock(` or `num_turns=` is never taken for one. Anything else yields no effects.
enum SDKMessageRepr {
    static func effects(_ b: Bytes) -> [Effect] {
        guard let call = Call(b, 0..<b.count) else { return [] }
        switch call.name {
        case "ResultMessage": return result(call, b)
        case "AssistantMessage": return toolUses(call, b)
        default: return []
        }
    }

    /// The same facts as a stream-json `result` object (`StreamJSON`), with the session it names.
    private static func result(_ call: Call, _ b: Bytes) -> [Effect] {
        var effects: [Effect] = []
        if let r = call["session_id"], let s = pythonString(b, r) { effects.append(.session(s)) }
        if let r = call["num_turns"], let n = NumberParser.int(b, r) { effects.append(.turns(n, .report)) }
        if let r = call["total_cost_usd"], let c = NumberParser.nano(b, r) { effects.append(.cost(nano: c, .report)) }
        if let r = call["usage"], let usage = dictionary(b, r) {
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

    private static func toolUses(_ call: Call, _ b: Bytes) -> [Effect] {
        guard let content = call["content"], let items = list(b, content) else { return [] }
        return items.compactMap { item in
            guard let block = Call(b, item), block.name == "ToolUseBlock",
                let name = block["name"].flatMap({ pythonString(b, $0) }), !name.isEmpty
            else { return nil }
            return .toolUse(name: name, id: block["id"].flatMap { pythonString(b, $0) })
        }
    }

    /// `Name(key=value, …)` over a whole range: the name and each keyword argument's value range.
    private struct Call {
        var name: String
        var arguments: [(key: String, value: Range<Int>)] = []

        init?(_ b: Bytes, _ range: Range<Int>) {
            let r = trimmed(b, range)
            var i = r.lowerBound
            while i < r.upperBound, ASCII.isAlpha(b[i]) || ASCII.isDigit(b[i]) || b[i] == 0x5F { i += 1 }
            guard i > r.lowerBound, i < r.upperBound, b[i] == 0x28, b[r.upperBound - 1] == 0x29 else { return nil }
            name = b.string(r.lowerBound..<i)
            for part in topLevelParts(b, i + 1..<r.upperBound - 1, separator: ASCII.comma) {
                guard let eq = firstTopLevel(b, part, 0x3D) else { continue }
                arguments.append((b.string(trimmed(b, part.lowerBound..<eq)), trimmed(b, eq + 1..<part.upperBound)))
            }
        }

        subscript(key: String) -> Range<Int>? { arguments.first { $0.key == key }?.value }
    }

    /// `{'key': value, …}`: each string key's value range.
    private static func dictionary(_ b: Bytes, _ range: Range<Int>) -> [String: Range<Int>]? {
        guard let inner = inside(b, range, 0x7B, 0x7D) else { return nil }
        var out: [String: Range<Int>] = [:]
        for part in topLevelParts(b, inner, separator: ASCII.comma) {
            guard let colon = firstTopLevel(b, part, ASCII.colon),
                let key = pythonString(b, trimmed(b, part.lowerBound..<colon))
            else { continue }
            out[key] = trimmed(b, colon + 1..<part.upperBound)
        }
        return out
    }

    /// `[item, …]`: each item's range.
    private static func list(_ b: Bytes, _ range: Range<Int>) -> [Range<Int>]? {
        guard let inner = inside(b, range, ASCII.bracket, ASCII.closeBracket) else { return nil }
        return topLevelParts(b, inner, separator: ASCII.comma).filter { !trimmed(b, $0).isEmpty }
    }

    private static func inside(_ b: Bytes, _ range: Range<Int>, _ open: UInt8, _ close: UInt8) -> Range<Int>? {
        let r = trimmed(b, range)
        guard r.count >= 2, b[r.lowerBound] == open, b[r.upperBound - 1] == close else { return nil }
        return r.lowerBound + 1..<r.upperBound - 1
    }

    /// A quoted Python string (`'…'` or `"…"`) and nothing else, unescaped.
    private static func pythonString(_ b: Bytes, _ range: Range<Int>) -> String? {
        let r = trimmed(b, range)
        guard r.count >= 2, b[r.lowerBound] == 0x27 || b[r.lowerBound] == ASCII.quote,
            skipString(b, r.lowerBound, r.upperBound) == r.upperBound
        else { return nil }
        var bytes: [UInt8] = []
        var i = r.lowerBound + 1
        while i < r.upperBound - 1 {
            if b[i] == 0x5C, i + 1 < r.upperBound - 1 {
                i += 1
                switch b[i] {
                case UInt8(ascii: "n"): bytes.append(ASCII.lf)
                case UInt8(ascii: "t"): bytes.append(ASCII.tab)
                case UInt8(ascii: "r"): bytes.append(ASCII.cr)
                default: bytes.append(b[i])
                }
            } else {
                bytes.append(b[i])
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The index just after the string that opens at `i`; `end` when it is not closed.
    private static func skipString(_ b: Bytes, _ i: Int, _ end: Int) -> Int {
        let quote = b[i]
        var j = i + 1
        while j < end {
            if b[j] == 0x5C {
                j += 2
            } else if b[j] == quote {
                return j + 1
            } else {
                j += 1
            }
        }
        return end
    }

    /// The parts of `range` between `separator`s outside brackets and strings.
    private static func topLevelParts(_ b: Bytes, _ range: Range<Int>, separator: UInt8) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        var depth = 0
        while i < range.upperBound {
            switch b[i] {
            case 0x27, ASCII.quote:
                i = skipString(b, i, range.upperBound)
                continue
            case 0x28, ASCII.bracket, 0x7B: depth += 1
            case 0x29, ASCII.closeBracket, 0x7D: depth -= 1
            case separator where depth == 0:
                parts.append(start..<i)
                start = i + 1
            default: break
            }
            i += 1
        }
        parts.append(start..<range.upperBound)
        return parts
    }

    /// The first `byte` in `range` outside brackets and strings.
    private static func firstTopLevel(_ b: Bytes, _ range: Range<Int>, _ byte: UInt8) -> Int? {
        let parts = topLevelParts(b, range, separator: byte)
        return parts.count > 1 ? parts[0].upperBound : nil
    }

    private static func trimmed(_ b: Bytes, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi, b[lo] == ASCII.space || b[lo] == ASCII.lf { lo += 1 }
        while hi > lo, b[hi - 1] == ASCII.space || b[hi - 1] == ASCII.lf { hi -= 1 }
        return lo..<hi
    }
}
