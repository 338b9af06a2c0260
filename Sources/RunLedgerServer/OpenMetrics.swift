/// OpenMetrics 1.0.0 text made from the Prometheus text format 0.0.4 that `LiveMetrics` renders.
///
/// swift-prometheus 2.4.1 writes only 0.0.4. For what RunLedger exports, OpenMetrics differs in three
/// places: a counter family is declared without its `_total` suffix in `# HELP` and `# TYPE` while its
/// samples keep it; `# HELP` text escapes double quotes as well; and the exposition ends with `# EOF`.
/// Samples are copied unchanged: label values are escaped the same way in both formats, and RunLedger
/// writes no timestamps (whose units differ between the two).
enum OpenMetrics {
    static func render(fromText text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        // The declared type of every family, by its 0.0.4 name (HELP usually comes before TYPE).
        var types: [Substring: Substring] = [:]
        for line in lines where line.hasPrefix("# TYPE ") {
            let (name, type) = nameAndRest(line)
            types[name] = type
        }
        var out = ""
        // A family is described once; a repeated HELP or TYPE line would make the exposition invalid.
        var described = Set<String>()
        for line in lines {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let keyword = line.dropFirst(2).prefix(4)
                let (name, rest) = nameAndRest(line)
                let family = Family(name: name, type: types[name])
                guard described.insert("\(keyword) \(family.name)").inserted else { continue }
                if keyword == "HELP" {
                    out += "# HELP \(family.name) \(escapeHelp(unescapeHelp(rest)))\n"
                } else {
                    out += "# TYPE \(family.name) \(family.type)\n"
                }
            } else if !line.hasPrefix("#") {
                out += line + "\n"
            }
            // Other comments have no place in OpenMetrics; 0.0.4 allows them, RunLedger writes none.
        }
        return out + "# EOF\n"
    }

    /// A family as OpenMetrics declares it.
    struct Family {
        var name: String
        var type: String

        init(name: Substring, type: Substring?) {
            switch type {
            case "counter" where name.hasSuffix("_total"):
                self.name = String(name.dropLast("_total".count))
                self.type = "counter"
            case "counter", "untyped", nil:
                // An OpenMetrics counter's samples must end in `_total`; renaming the samples would give
                // the series other names than in 0.0.4, so such a family is declared `unknown` instead.
                self.name = String(name)
                self.type = "unknown"
            case let other?:
                self.name = String(name)
                self.type = String(other)
            }
        }
    }

    /// `# HELP name rest…` -> (name, rest).
    private static func nameAndRest(_ line: Substring) -> (Substring, Substring) {
        let afterKeyword = line.dropFirst("# HELP ".count)
        let name = afterKeyword.prefix { $0 != " " }
        return (name, afterKeyword.dropFirst(name.count).drop { $0 == " " })
    }

    /// 0.0.4 escapes backslash and newline in HELP text.
    static func unescapeHelp(_ s: Substring) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "\\": out.append("\\")
                case "n": out.append("\n")
                default: out.append("\\"); out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    /// OpenMetrics escapes backslash, newline and double quote in HELP text.
    static func escapeHelp(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"": out += "\\\""
            default: out.append(c)
            }
        }
        return out
    }
}
