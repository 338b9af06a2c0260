/// A small JSON reader on bytes for the objects the executor embeds in its log lines (stream-json,
/// per-run JSONL). Numbers keep their source bytes so costs convert exactly.
public indirect enum JSONValue: Sendable, Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Range<Int>)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let x), .array(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        default: false
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let v) = self { return v }
        return nil
    }
}

/// Parses one JSON value spanning exactly `range` of `b`; nil for anything malformed or cut off.
struct JSONReader {
    let b: Bytes
    var i: Int
    let end: Int
    private var depth = 0

    static func parse(_ b: Bytes, _ range: Range<Int>) -> JSONValue? {
        var reader = JSONReader(b: b, i: range.lowerBound, end: range.upperBound)
        guard let value = reader.value() else { return nil }
        reader.skipSpace()
        return reader.i == reader.end ? value : nil
    }

    private init(b: Bytes, i: Int, end: Int) {
        self.b = b
        self.i = i
        self.end = end
    }

    mutating func skipSpace() {
        while i < end, b[i] == ASCII.space || b[i] == ASCII.tab || b[i] == ASCII.cr || b[i] == ASCII.lf { i += 1 }
    }

    mutating func value() -> JSONValue? {
        skipSpace()
        guard i < end else { return nil }
        switch b[i] {
        case ASCII.brace: return object()
        case ASCII.bracket: return array()
        case ASCII.quote: return string().map(JSONValue.string)
        case 0x74: return word("true", .bool(true))
        case 0x66: return word("false", .bool(false))
        case 0x6E: return word("null", .null)
        default: return number()
        }
    }

    private mutating func word(_ w: String, _ v: JSONValue) -> JSONValue? {
        let bytes = Array(w.utf8)
        guard i + bytes.count <= end, b.hasLiteral(bytes, at: i) else { return nil }
        i += bytes.count
        return v
    }

    private mutating func number() -> JSONValue? {
        let start = i
        while i < end,
            ASCII.isDigit(b[i]) || b[i] == ASCII.minus || b[i] == ASCII.plus || b[i] == ASCII.dot
                || b[i] | 0x20 == 0x65
        { i += 1 }
        return i > start ? .number(start..<i) : nil
    }

    private mutating func object() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { return nil }
        i += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if i < end, b[i] == 0x7D { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < end, b[i] == ASCII.quote, let key = string() else { return nil }
            skipSpace()
            guard i < end, b[i] == ASCII.colon else { return nil }
            i += 1
            guard let v = value() else { return nil }
            members.append((key, v))
            skipSpace()
            guard i < end else { return nil }
            if b[i] == ASCII.comma { i += 1; continue }
            if b[i] == 0x7D { i += 1; return .object(members) }
            return nil
        }
    }

    private mutating func array() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { return nil }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < end, b[i] == ASCII.closeBracket { i += 1; return .array(items) }
        while true {
            guard let v = value() else { return nil }
            items.append(v)
            skipSpace()
            guard i < end else { return nil }
            if b[i] == ASCII.comma { i += 1; continue }
            if b[i] == ASCII.closeBracket { i += 1; return .array(items) }
            return nil
        }
    }

    private mutating func string() -> String? {
        i += 1
        let start = i
        var plain = true
        while i < end, b[i] != ASCII.quote {
            if b[i] == 0x5C { plain = false; i += 2 } else { i += 1 }
        }
        guard i < end else { return nil }
        let range = start..<i
        i += 1
        return plain ? b.string(range) : Self.unescape(b, range)
    }

    private static func unescape(_ b: Bytes, _ r: Range<Int>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        var k = r.lowerBound
        while k < r.upperBound {
            let c = b[k]
            guard c == 0x5C else { out.append(c); k += 1; continue }
            guard k + 1 < r.upperBound else { return nil }
            let e = b[k + 1]
            k += 2
            switch e {
            case 0x6E: out.append(ASCII.lf)
            case 0x74: out.append(ASCII.tab)
            case 0x72: out.append(ASCII.cr)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x75:
                guard k + 4 <= r.upperBound, let code = UInt32(b.string(k..<(k + 4)), radix: 16) else { return nil }
                k += 4
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
