/// Reads what Python's `repr` prints, on bytes: strings (`'…'`, `"…"`), lists, dicts and calls
/// (`Name(key=value, …)`). The executor prints tool lists this way (`['Write', "it's"]`), and HEAD's
/// per-session files print SDK messages this way (`SDKMessageRepr`). Values come back as ranges of
/// the line; quoted strings are skipped whole wherever structure is looked for.
enum PythonRepr {
    /// A list of strings, all or nothing: `['Write', "it's"]`.
    static func strings(_ b: Bytes, _ r: Range<Int>) -> [String]? {
        guard let items = list(b, r) else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let s = string(b, item) else { return nil }
            out.append(s)
        }
        return out
    }

    /// A quoted string and nothing else, unescaped.
    static func string(_ b: Bytes, _ range: Range<Int>) -> String? {
        let r = trimmed(b, range)
        guard r.count >= 2, b[r.lowerBound] == 0x27 || b[r.lowerBound] == ASCII.quote,
            skipString(b, r.lowerBound, r.upperBound) == r.upperBound
        else { return nil }
        let body = r.lowerBound + 1..<r.upperBound - 1
        // Tool names and ids have no escapes: made straight from the line's bytes.
        guard b[body].contains(0x5C) else { return b.string(body) }
        var bytes: [UInt8] = []
        var i = body.lowerBound
        while i < body.upperBound {
            if b[i] == 0x5C, i + 1 < body.upperBound {
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

    /// `[item, …]`: each item's range (a trailing comma is allowed, as Python allows it).
    static func list(_ b: Bytes, _ range: Range<Int>) -> [Range<Int>]? {
        guard let inner = inside(b, range, ASCII.bracket, ASCII.closeBracket),
            let parts = topLevelParts(b, inner, separator: ASCII.comma)
        else { return nil }
        return parts.filter { !trimmed(b, $0).isEmpty }
    }

    /// `{'key': value, …}`: each string key's value range.
    static func dictionary(_ b: Bytes, _ range: Range<Int>) -> [String: Range<Int>]? {
        guard let inner = inside(b, range, 0x7B, 0x7D), let parts = topLevelParts(b, inner, separator: ASCII.comma)
        else { return nil }
        var out: [String: Range<Int>] = [:]
        for part in parts {
            guard let colon = firstTopLevel(b, part, ASCII.colon),
                let key = string(b, part.lowerBound..<colon)
            else { continue }
            out[key] = trimmed(b, colon + 1..<part.upperBound)
        }
        return out
    }

    /// `Name(key=value, …)` over a whole range: the name and each keyword argument's value range.
    static func call(_ b: Bytes, _ range: Range<Int>) -> (name: String, arguments: [String: Range<Int>])? {
        let r = trimmed(b, range)
        var i = r.lowerBound
        while i < r.upperBound, ASCII.isAlpha(b[i]) || ASCII.isDigit(b[i]) || b[i] == 0x5F { i += 1 }
        guard i > r.lowerBound, i < r.upperBound, b[i] == 0x28, b[r.upperBound - 1] == 0x29,
            let parts = topLevelParts(b, i + 1..<r.upperBound - 1, separator: ASCII.comma)
        else { return nil }
        var arguments: [String: Range<Int>] = [:]
        for part in parts {
            guard let eq = firstTopLevel(b, part, 0x3D) else { continue }
            let key = b.string(trimmed(b, part.lowerBound..<eq))
            if arguments[key] == nil { arguments[key] = trimmed(b, eq + 1..<part.upperBound) }
        }
        return (b.string(r.lowerBound..<i), arguments)
    }

    private static func inside(_ b: Bytes, _ range: Range<Int>, _ open: UInt8, _ close: UInt8) -> Range<Int>? {
        let r = trimmed(b, range)
        guard r.count >= 2, b[r.lowerBound] == open, b[r.upperBound - 1] == close else { return nil }
        return r.lowerBound + 1..<r.upperBound - 1
    }

    /// The index just after the string that opens at `i`; nil when it is not closed before `end`.
    private static func skipString(_ b: Bytes, _ i: Int, _ end: Int) -> Int? {
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
        return nil
    }

    /// The parts of `range` between `separator`s outside brackets and strings; nil when a string in
    /// it is not closed.
    private static func topLevelParts(_ b: Bytes, _ range: Range<Int>, separator: UInt8) -> [Range<Int>]? {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        var depth = 0
        while i < range.upperBound {
            switch b[i] {
            case 0x27, ASCII.quote:
                guard let next = skipString(b, i, range.upperBound) else { return nil }
                i = next
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
        guard let parts = topLevelParts(b, range, separator: byte), parts.count > 1 else { return nil }
        return parts[0].upperBound
    }

    private static func trimmed(_ b: Bytes, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi, b[lo] == ASCII.space || b[lo] == ASCII.lf { lo += 1 }
        while hi > lo, b[hi - 1] == ASCII.space || b[hi - 1] == ASCII.lf { hi -= 1 }
        return lo..<hi
    }
}
