import Mustache

/// The HTML pages' Mustache templates. `{{x}}` escapes HTML (workflow and tool names come from log
/// content); nothing here uses the unescaped `{{{x}}}`. No external assets: the pages work offline. The
/// one script turns each UTC time into the reader's local time as well; without it the UTC time stands.
enum PageTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [
            ("header", header), ("footer", footer), ("landing", landing), ("runs", runs), ("run", run),
            ("missing", missing),
        ] {
            // The templates are constants of this file: one that does not parse is a programming error.
            try! library.register(text, named: name)
        }
        return library
    }()

    static let header = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{title}} · RunLedger</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
        <style>
        body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:78em;padding:0 1em;color:#222}
        table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
        th{background:#f4f4f4}code{background:#f4f4f4;padding:0 .2em}nav a{margin-right:1em}
        .bad{background:#fde2e1;font-weight:bold}.ok{color:#1a7f37}.warn{color:#b35900;font-weight:bold}
        .kinds a{display:inline-block;margin:0 1em .5em 0;padding:.3em .7em;border:1px solid #ccc;border-radius:.3em;text-decoration:none}
        .kinds b{font-size:1.3em}form label{margin-right:1em;white-space:nowrap}.local{color:#555}
        </style></head>
        <body>
        <nav><a href="/">RunLedger</a><a href="/runs">runs</a><a href="/runs?false_failure=1">false failures</a><a href="/runs?mismatch=any">mismatches</a><a href="/runs?stalled=1">stalled</a><a href="/metrics">/metrics</a><a href="/healthz">/healthz</a></nav>
        <h1>{{title}}</h1>

        """

    static let footer = """
        <script>
        for (const t of document.querySelectorAll("time[datetime]")) {
          const d = new Date(t.getAttribute("datetime"));
          if (isNaN(d)) continue;
          const s = document.createElement("span");
          s.className = "local";
          s.textContent = " (local: " + d.toLocaleString() + ")";
          t.after(s);
        }
        </script>
        </body></html>

        """

    static let kinds = """
        <p class="kinds">{{#kinds}}<a href="{{href}}" id="kind-{{id}}"><b>{{count}}</b> {{label}}</a>{{/kinds}}</p>
        """

    static let landing = """
        {{> header}}<p>The truth about agent workflow runs, read from the executor's logs. Version {{version}}.</p>
        <h2>Flagged runs</h2>
        {{#windows}}<h3>{{label}}</h3>
        \(kinds){{/windows}}
        <h2>Sources</h2>
        <ul>{{#sources}}<li><code>{{name}}</code>: {{state}}, {{lines}} lines{{#detail}} — {{detail}}{{/detail}}</li>{{/sources}}</ul>
        <h2>Latest flagged runs</h2>
        \(runTable)
        <p><a href="/runs?flagged=1">All flagged runs</a> · <a href="/api/runs">/api/runs</a> (JSON)</p>
        {{> footer}}
        """

    static let runTable = """
        <table id="runs"><tr><th>run</th>{{#fleet}}<th>instance</th>{{/fleet}}<th>workflow</th><th>status</th><th>started (UTC)</th><th>cost (USD)</th><th>turns</th><th>tokens</th><th>tools</th><th>why</th></tr>
        {{#rows}}<tr><td><a href="/runs/{{id}}">{{id}}</a></td>{{#fleet}}<td class="instance">{{instance}}</td>{{/fleet}}<td>{{workflow}}</td><td>{{status}}</td><td>{{#started}}<time datetime="{{iso}}">{{text}}</time>{{/started}}</td><td>{{cost}}</td><td>{{turns}}</td><td>{{tokens}}</td><td>{{tools}}</td><td>{{why}}</td></tr>
        {{/rows}}{{^rows}}<tr><td colspan="{{#fleet}}10{{/fleet}}{{^fleet}}9{{/fleet}}">No runs.</td></tr>{{/rows}}</table>
        """

    static let runs = """
        {{> header}}<form method="get" action="/runs" id="filters">
        <label><input type="checkbox" name="false_failure" value="1"{{#f.falseFailure}} checked{{/f.falseFailure}}> false failures</label>
        <label><input type="checkbox" name="stalled" value="1"{{#f.stalled}} checked{{/f.stalled}}> stalled</label>
        <label>mismatch <select name="mismatch">{{#mismatchOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/mismatchOptions}}</select></label>
        <label>status <select name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select></label>
        <label>workflow <input name="workflow" value="{{f.workflow}}" size="12"></label>
        {{#fleet}}<label>instance <input name="instance" value="{{f.instance}}" size="12"></label>{{/fleet}}
        <label>since <input name="since" value="{{f.since}}" placeholder="2025-06-19T00:00:00Z" size="22"></label>
        <label>until <input name="until" value="{{f.until}}" placeholder="RFC 3339 or a date" size="22"></label>
        <label>run id <input name="q" value="{{f.q}}" placeholder="prefix" size="12"></label>
        {{#f.flagged}}<input type="hidden" name="flagged" value="1">{{/f.flagged}}
        <button type="submit">Filter</button> <a href="/runs">clear</a></form>
        {{#error}}<p class="bad" id="error">{{error}}</p>{{/error}}
        <p>{{total}} runs match. Of them:</p>
        \(kinds)
        \(runTable)
        {{#next}}<p><a href="{{next}}" id="next">Older runs →</a></p>{{/next}}
        {{> footer}}
        """

    static let run = """
        {{> header}}<p><a href="/api/runs/{{id}}">JSON</a> · <a href="{{workflowHref}}" id="workflow-runs">runs of {{workflow}}</a></p>
        {{#lostWork}}<p class="bad" id="lost-work">{{lostWork}}</p>{{/lostWork}}
        <table id="summary">
        <tr><th>status</th><td>{{status}}</td></tr>
        <tr><th>workflow</th><td>{{workflow}}</td></tr>
        {{#instance}}<tr><th>instance</th><td><a href="{{instanceHref}}" id="instance-runs">{{instance}}</a></td></tr>{{/instance}}
        <tr><th>attribution</th><td>{{attribution}}</td></tr>
        <tr><th>started</th><td>{{#started}}<time datetime="{{iso}}">{{text}}</time>{{/started}}{{^started}}not seen{{/started}}</td></tr>
        <tr><th>ended</th><td>{{#ended}}<time datetime="{{iso}}">{{text}}</time>{{/ended}}{{^ended}}not ended{{/ended}}</td></tr>
        <tr><th>duration</th><td>{{duration}}</td></tr>
        <tr><th>cost (USD)</th><td>{{cost}}</td></tr>
        <tr><th>turns</th><td>{{turns}}{{#turnsSource}} (from the {{turnsSource}}){{/turnsSource}}</td></tr>
        <tr><th>tokens</th><td>{{totalTokens}}{{#hasTokenKinds}}: {{/hasTokenKinds}}{{#tokens}}{{kind}} {{value}}{{^last}}, {{/last}}{{/tokens}}</td></tr>
        <tr><th>tools</th><td>{{toolCount}}{{#hasTools}}: {{#tools}}<code>{{name}}</code>{{#uses}} ×{{uses}}{{/uses}}{{^last}}, {{/last}}{{/tools}}{{/hasTools}}</td></tr>
        {{#stalled}}<tr><th>stalled since</th><td class="warn"><time datetime="{{iso}}">{{text}}</time></td></tr>{{/stalled}}
        </table>
        <h2>Verdicts</h2>
        <table id="verdicts">
        <tr><th>TaskGroup</th><td{{#taskgroupError}} class="warn"{{/taskgroupError}}>{{taskgroup}}</td></tr>
        <tr><th>false failure</th><td{{#falseFailure}} class="bad"{{/falseFailure}}>{{falseFailureVerdict}}</td></tr>
        </table>
        <h2>What was reported, beside what the logs show</h2>
        {{#hasReports}}<table id="reported"><tr><th>field</th><th>logs</th>{{#sources}}<th>{{.}}</th>{{/sources}}</tr>
        {{#fields}}<tr><th>{{name}}</th><td>{{logs}}</td>{{#cells}}<td{{#mismatch}} class="bad"{{/mismatch}}>{{value}}{{#mismatch}} ≠ logs{{/mismatch}}</td>{{/cells}}</tr>
        {{/fields}}</table>{{/hasReports}}{{^hasReports}}<p>No source reported on this run after it ended.</p>{{/hasReports}}
        <h2>Where the work is</h2>
        {{#workspace}}<table id="workspace">{{#rows}}<tr><th>{{name}}</th><td>{{#code}}<code>{{value}}</code>{{/code}}{{^code}}{{value}}{{/code}}</td></tr>{{/rows}}</table>{{/workspace}}
        {{^workspace}}<p>The logs said nothing of this run's workspace.</p>{{/workspace}}
        {{> footer}}
        """

    static let missing = """
        {{> header}}<p>{{message}}</p><p><a href="/runs">All runs</a></p>
        {{> footer}}
        """
}
