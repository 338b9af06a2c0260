/// One log event as one line, in the two formats Prometheus exporters write (`--log.format`): logfmt,
/// `ts=… level=info msg="…" key=value`, and JSON, one object a line. Pure, so the server's log handler
/// only moves the line to standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    case logfmt
    case json

    /// The line for one event, without its newline. `fields` come after `msg`, in the order given.
    public func line(time: String, level: String, message: String, fields: [(String, String)]) -> String {
        switch self {
        case .logfmt:
            var out = "ts=\(time) level=\(level) msg=\(Self.logfmtValue(message))"
            for (key, value) in fields { out += " \(Self.logfmtKey(key))=\(Self.logfmtValue(value))" }
            return out
        case .json:
            var w = JSONWriter()
            w.beginObject()
            w.key("ts"); w.string(time)
            w.key("level"); w.string(level)
            w.key("msg"); w.string(message)
            for (key, value) in fields {
                w.key(key); w.string(value)
            }
            w.endObject()
            return w.text
        }
    }

    /// Quoted when it holds a space, `=`, `"` or a control character (or is empty); inside quotes `"`
    /// and `\` are escaped and control characters written as `\n`, `\t` or `\u{…}`, so an event never
    /// spans two lines whatever a log line or a path holds.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x20 || $0.value == 0x7f
            }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Keys are ours, but a metadata key with a space or `=` would break the line: those become `_`.
    static func logfmtKey(_ key: String) -> String {
        String(key.unicodeScalars.map { $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x21 ? "_" : Character($0) })
    }
}
