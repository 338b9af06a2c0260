import Foundation
import RunLedgerCore
import RunLedgerStore

/// The pages for people: what each shows, as the values its template renders (`PageTemplates`).
/// Values are plain strings, numbers already formatted; the template escapes them.
enum Pages {
    typealias Values = [String: Any]

    /// `pairs` without its nil values: a template reads an absent key as false, but an Optional wrapped
    /// in `Any` as a true value that prints "nil" (seen in the browser test: "Bash ×nil").
    static func values(_ pairs: KeyValuePairs<String, Any?>) -> Values {
        var out: Values = [:]
        for (key, value) in pairs {
            if let value { out[key] = value }
        }
        return out
    }

    /// A time as the pages show it: UTC text, and the instant for the script that adds local time.
    static func time(_ ms: Int64?) -> Values? {
        guard let ms else { return nil }
        let iso = Timestamps.iso8601(ms: ms)
        return [
            "iso": iso,
            "text": iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC"),
        ]
    }

    static func href(_ path: String, _ items: [(name: String, value: String)]) -> String {
        guard !items.isEmpty else { return path }
        return path + "?"
            + items.map { "\(percentEncoded($0.name))=\(percentEncoded($0.value))" }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes.
    static func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Why a run is on a flagged list, in a few words.
    static func why(_ r: RunRecord) -> String {
        var why: [String] = []
        if r.falseFailure { why.append("false failure") }
        for (source, fields) in r.mismatch.sorted(by: { $0.key < $1.key }) {
            why.append("\(source) reported 0 for \(fields.joined(separator: ", "))")
        }
        if r.isStalled { why.append("stalled") }
        return why.joined(separator: "; ")
    }

    static func rows(_ runs: [RunRecord]) -> [Values] {
        runs.map { r in
            values([
                "id": r.runId, "instance": r.instance, "workflow": r.workflowName, "status": r.currentStatus.rawValue,
                "started": time(r.startedAtMs), "cost": JSONWriter.decimalText(r.cost, scale: 9),
                "turns": String(r.turnCount), "tokens": String(r.totalTokens), "tools": String(r.toolCount),
                "why": why(r),
            ])
        }
    }

    /// The counts of `counts` as links that narrow `filter` to each kind.
    static func kinds(_ counts: RunCounts, within filter: RunFilter) -> [Values] {
        var ff = filter
        ff.falseFailure = true
        var mm = filter
        if mm.mismatch == nil { mm.mismatch = .any }
        var st = filter
        st.stalled = true
        return [
            ["id": "runs", "count": String(counts.runs), "label": "runs", "href": href("/runs", filter.queryItems)],
            [
                "id": "false-failures", "count": String(counts.falseFailures), "label": "false failures",
                "href": href("/runs", ff.queryItems),
            ],
            [
                "id": "mismatches", "count": String(counts.mismatches), "label": "mismatches",
                "href": href("/runs", mm.queryItems),
            ],
            [
                "id": "stalled", "count": String(counts.stalled), "label": "stalled",
                "href": href("/runs", st.queryItems),
            ],
        ]
    }

    static func render(_ template: String, _ values: Values) -> String {
        PageTemplates.library.render(values, withTemplate: template) ?? ""
    }

    static func missing(_ message: String) -> String {
        render("missing", ["title": "Not found", "message": message])
    }
}
