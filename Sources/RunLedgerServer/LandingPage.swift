import RunLedgerCore

/// The page at `/`: what is running, what it reads, where to look next, and the latest flagged runs.
enum LandingPage {
    static func html(state: ServerState, flagged: [RunRecord]) -> String {
        var rows = ""
        for r in flagged {
            var why: [String] = []
            if r.falseFailure { why.append("false failure") }
            for (source, fields) in r.mismatch.sorted(by: { $0.key < $1.key }) {
                why.append("\(source) reported 0 for \(fields.joined(separator: ", "))")
            }
            rows +=
                "<tr><td><a href=\"/api/runs/\(esc(r.runId))\">\(esc(r.runId))</a></td><td>\(esc(r.workflowName))</td>"
                + "<td>\(esc(r.currentStatus.rawValue))</td><td>\(JSONWriter.decimalText(r.cost, scale: 9))</td>"
                + "<td>\(r.turnCount)</td><td>\(r.toolCount)</td><td>\(esc(why.joined(separator: "; ")))</td></tr>\n"
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"7\">No flagged runs.</td></tr>\n" }
        var sources = ""
        for s in state.sources.all {
            sources +=
                "<li><code>\(esc(s.name))</code>: \(s.up ? "up" : "down"), \(s.lines) lines"
                + (s.detail.map { " — \(esc($0))" } ?? "") + "</li>\n"
        }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>RunLedger</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}code{background:#f4f4f4}</style></head>
            <body>
            <h1>RunLedger \(esc(state.version))</h1>
            <p>The truth about agent workflow runs, read from the executor's logs.</p>
            <ul><li><a href="/metrics">/metrics</a> (Prometheus)</li><li><a href="/api/runs">/api/runs</a>
            (<a href="/api/runs?flagged=1">flagged only</a>)</li><li><a href="/healthz">/healthz</a></li></ul>
            <h2>Sources</h2>
            <ul>
            \(sources)</ul>
            <h2>Latest flagged runs</h2>
            <table><tr><th>run</th><th>workflow</th><th>status</th><th>cost (USD)</th><th>turns</th><th>tools</th><th>why</th></tr>
            \(rows)</table>
            </body></html>
            """
    }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
