/// Just enough of PromQL to check dashboards and rules against RunLedger's exposition: which metric
/// selectors an expression uses (name, label matchers, range, the functions around them) and which
/// labels it groups or matches on. It is not a parser: promtool and a real Prometheus judge syntax
/// (see `DashboardQueryTests` and `PrometheusEndToEndTests`); this only finds the names in a valid
/// expression. Grafana variables (`$job`, `${datasource}`, `$__rate_interval`) are kept as tokens.
struct PromQL {
    struct Matcher: Equatable {
        var label: String
        var op: String
        var value: String
    }

    struct Selector {
        var metric: String
        var matchers: [Matcher] = []
        /// The text between `[` and `]`, if the selector is a range (`5m`, `$__rate_interval`).
        var range: String?
        /// The functions and aggregations around the selector, outermost first.
        var enclosing: [String] = []
        /// Whether the selector is itself an argument of the innermost function (`rate(x[5m])`), not
        /// part of a larger argument (`rate(x[5m] * 2)` is not valid PromQL anyway, but `abs(x - y)`).
        var isDirectArgument = false
    }

    var selectors: [Selector] = []
    /// Labels named in `by`, `without`, `on`, `ignoring`, `group_left` and `group_right` lists.
    var groupingLabels: Set<String> = []
    /// Whether the expression aggregates (`sum`, `max`, `count`, …), so only grouping labels survive.
    var aggregates = false

    static let aggregations: Set<String> = [
        "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile",
        "count_values",
    ]
    private static let groupingKeywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]
    private static let otherKeywords: Set<String> = ["and", "or", "unless", "bool", "offset", "inf", "nan"]

    init(_ text: String) {
        let tokens = PromQL.tokenize(text)
        var calls: [String] = []  // one entry per open parenthesis: the function it belongs to, or ""
        var pendingAggregation: String?  // `sum by (x) (` : the name waits for its second parenthesis
        var i = 0
        func token(_ k: Int) -> Token? { k < tokens.count ? tokens[k] : nil }
        while i < tokens.count {
            switch tokens[i] {
            case .identifier(let name):
                let lower = name.lowercased()
                if PromQL.groupingKeywords.contains(lower) {
                    i += 1
                    if token(i) == .punct("(") {
                        i += 1
                        while let t = token(i), t != .punct(")") {
                            if case .identifier(let label) = t { groupingLabels.insert(label) }
                            i += 1
                        }
                        i += 1
                    }
                } else if PromQL.otherKeywords.contains(lower) {
                    i += 1
                } else if token(i + 1) == .punct("(") {
                    if PromQL.aggregations.contains(lower) { aggregates = true }
                    calls.append(name)
                    i += 2
                } else if PromQL.aggregations.contains(lower) {
                    aggregates = true
                    pendingAggregation = name
                    i += 1
                } else {
                    i = selector(named: name, at: i + 1, tokens: tokens, calls: calls)
                }
            case .punct("{"):
                i = selector(named: "", at: i, tokens: tokens, calls: calls)
            case .punct("("):
                calls.append(pendingAggregation ?? "")
                pendingAggregation = nil
                i += 1
            case .punct(")"):
                _ = calls.popLast()
                i += 1
            case .punct("["):
                // A subquery on an expression, `(…)[5m:1m]`: nothing to find inside.
                while let t = token(i), t != .punct("]") { i += 1 }
                i += 1
            default:
                i += 1
            }
        }
    }

    /// Reads the matchers and range after a metric name (at `start`); returns the index after them.
    private mutating func selector(named metric: String, at start: Int, tokens: [Token], calls: [String]) -> Int {
        var s = Selector(metric: metric, enclosing: calls.filter { !$0.isEmpty })
        var i = start
        func token(_ k: Int) -> Token? { k < tokens.count ? tokens[k] : nil }
        if token(i) == .punct("{") {
            i += 1
            while let t = token(i), t != .punct("}") {
                if case .identifier(let label) = t, case .punct(let op)? = token(i + 1),
                    case .string(let value)? = token(i + 2)
                {
                    s.matchers.append(Matcher(label: label, op: op, value: value))
                    i += 3
                } else {
                    i += 1
                }
            }
            i += 1
        }
        if token(i) == .punct("[") {
            var range = ""
            i += 1
            while let t = token(i), t != .punct("]") {
                range += t.text
                i += 1
            }
            s.range = range
            i += 1
        }
        // Modifiers belong to the selector: `x[5m] offset 1h`, `x @ 1700000000`.
        while token(i) == .identifier("offset") || token(i) == .punct("@") {
            i += 2
        }
        let startToken = metric.isEmpty ? start - 1 : start - 2
        let before = startToken >= 0 ? tokens[startToken] : nil
        let after = token(i)
        s.isDirectArgument =
            !calls.isEmpty && !(calls.last ?? "").isEmpty && (before == .punct("(") || before == .punct(","))
            && (after == .punct(")") || after == .punct(","))
        selectors.append(s)
        return i
    }

    enum Token: Equatable {
        case identifier(String)
        case string(String)
        case number(String)
        case variable(String)
        case punct(String)

        var text: String {
            switch self {
            case .identifier(let s), .number(let s), .variable(let s), .punct(let s): s
            case .string(let s): "\"\(s)\""
            }
        }
    }

    static func tokenize(_ text: String) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == ":" }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "#" {  // a comment runs to the end of the line
                while i < chars.count, chars[i] != "\n" { i += 1 }
            } else if c == "\"" || c == "'" || c == "`" {
                var value = ""
                i += 1
                while i < chars.count, chars[i] != c {
                    if chars[i] == "\\", c != "`", i + 1 < chars.count {
                        i += 1
                    }
                    value.append(chars[i])
                    i += 1
                }
                i += 1
                tokens.append(.string(value))
            } else if c == "$" {
                var name = "$"
                i += 1
                if i < chars.count, chars[i] == "{" {
                    while i < chars.count, chars[i] != "}" {
                        name.append(chars[i])
                        i += 1
                    }
                    name.append("}")
                    i += 1
                } else {
                    while i < chars.count, isWord(chars[i]), chars[i] != ":" {
                        name.append(chars[i])
                        i += 1
                    }
                }
                tokens.append(.variable(name))
            } else if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
                var number = ""
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "." || chars[i] == "_" {
                    number.append(chars[i])
                    i += 1
                }
                tokens.append(.number(number))
            } else if c.isLetter || c == "_" || c == ":" {
                var word = ""
                while i < chars.count, isWord(chars[i]) {
                    word.append(chars[i])
                    i += 1
                }
                tokens.append(.identifier(word))
            } else {
                let two = i + 1 < chars.count ? String([c, chars[i + 1]]) : ""
                if ["==", "!=", "=~", "!~", "<=", ">="].contains(two) {
                    tokens.append(.punct(two))
                    i += 2
                } else {
                    tokens.append(.punct(String(c)))
                    i += 1
                }
            }
        }
        return tokens
    }
}
