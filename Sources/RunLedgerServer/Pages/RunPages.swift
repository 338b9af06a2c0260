import RunLedgerCore
import RunLedgerStore

/// `/runs` (the filtered list) and `/runs/{id}` (one run, for people).
enum RunPages {
    /// The list's page size; `limit` may ask for up to `HTTPServer.maxPageSize`.
    static let pageSize = 50

    static func list(
        filter: RunFilter, page: RunPage, runs: [RunRecord], next: Int64?, counts: RunCounts, fleet: Bool,
        error: String?
    ) -> String {
        var values: Pages.Values = [
            "title": "Runs", "rows": Pages.rows(runs), "total": String(counts.runs), "fleet": fleet,
            "kinds": Pages.kinds(counts, within: filter),
            "f": [
                "falseFailure": filter.falseFailure, "stalled": filter.stalled, "flagged": filter.flagged,
                "workflow": filter.workflow ?? "", "q": filter.idPrefix ?? "", "instance": filter.instance ?? "",
                "since": filter.sinceMs.map { Timestamps.iso8601(ms: $0) } ?? "",
                "until": filter.untilMs.map { Timestamps.iso8601(ms: $0) } ?? "",
            ] as Pages.Values,
        ]
        if let error { values["error"] = error }
        let mismatch: String? =
            switch filter.mismatch {
            case .any?: "any"
            case .field(let f)?: f
            case nil: nil
            }
        values["mismatchOptions"] = options(
            [("", "—"), ("any", "any field")] + RunFilter.mismatchFields.map { ($0, $0) }, mismatch)
        values["statusOptions"] = options(
            [("", "any")] + RunStatus.allCases.map { ($0.rawValue, $0.rawValue) }, filter.status?.rawValue)
        if let next {
            var items = filter.queryItems
            if page.limit != pageSize { items.append(("limit", String(page.limit))) }
            items.append(("cursor", String(next)))
            values["next"] = Pages.href("/runs", items)
        }
        return Pages.render("runs", values)
    }

    private static func options(_ list: [(String, String)], _ chosen: String?) -> [Pages.Values] {
        list.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == (chosen ?? "")] }
    }

    static func run(_ r: RunRecord) -> String {
        let kinds = r.tokens.byKind.filter { $0.value > 0 }
        var values = Pages.values([
            "title": "Run \(r.runId)", "id": r.runId, "workflow": r.workflowName,
            "workflowHref": Pages.href("/runs", [("workflow", r.workflowName)]), "status": r.currentStatus.rawValue,
            "instance": r.instance, "instanceHref": r.instance.map { Pages.href("/runs", [("instance", $0)]) },
            "attribution": r.shownAttribution.rawValue, "started": Pages.time(r.startedAtMs),
            "ended": Pages.time(r.endedAtMs),
            "duration": r.durationMs.map { JSONWriter.decimalText($0, scale: 3) + " s" } ?? "—",
            "cost": JSONWriter.decimalText(r.cost, scale: 9), "turns": String(r.turnCount),
            "turnsSource": r.turnsSource.map { $0 == "result" ? "Claude CLI's result" : "executor's count" },
            "totalTokens": String(r.totalTokens), "hasTokenKinds": !kinds.isEmpty,
            "tokens": kinds.enumerated().map { i, k in
                ["kind": k.kind, "value": String(k.value), "last": i == kinds.count - 1] as Pages.Values
            },
            "toolCount": String(r.toolCount), "hasTools": !r.tools.isEmpty,
            "tools": r.tools.enumerated().map { i, t in
                Pages.values([
                    "name": t.name, "uses": r.toolUsesKnown ? String(t.uses) : nil, "last": i == r.tools.count - 1,
                ])
            },
            "stalled": r.isStalled ? Pages.time(r.stalledAtMs) : nil,
            "taskgroupError": r.taskgroupError, "taskgroup": r.taskgroupVerdict,
            "falseFailure": r.falseFailure, "falseFailureVerdict": r.falseFailureVerdict,
        ])
        values.merge(reported(r)) { $1 }
        values.merge(workspace(r)) { $1 }
        return Pages.render("run", values)
    }

    /// "Where the work is": the worktree and branch, the auto-commit outcome, where the run's lines are.
    private static func workspace(_ r: RunRecord) -> Pages.Values {
        var rows: [Pages.Values] = []
        func row(_ name: String, _ value: String, code: Bool = false) {
            rows.append(["name": name, "value": value, "code": code])
        }
        if let w = r.workspace {
            if let path = w.path {
                row("worktree", path, code: true)
                if let b = w.branch { row("branch", b, code: true) } else { row("branch", "not logged") }
            } else {
                row("worktree", "not certain: several runs started together")
            }
            row("worktree attribution", w.attribution.rawValue)
        }
        if r.workspace != nil || r.autoCommit != nil {
            row("auto-commit", r.autoCommitText + (r.autoCommit?.attribution == .inferred ? " (tied by position)" : ""))
        }
        for span in r.logLines ?? [] {
            let range = span.first == span.last ? "line \(span.first)" : "lines \(span.first)–\(span.last)"
            row("log lines", "\(span.source) \(range)")
        }
        return Pages.values([
            "lostWork": r.uncommittedWork, "workspace": rows.isEmpty ? false : ["rows": rows] as Pages.Values,
        ])
    }

    /// The side-by-side table: each field as the logs show it, then as each source reported it.
    private static func reported(_ r: RunRecord) -> Pages.Values {
        let sources = r.reported.keys.sorted()
        guard !sources.isEmpty else { return ["hasReports": false] }
        func shown(_ v: Int64, money: Bool = false) -> String {
            v < 0 ? "not reported" : money ? JSONWriter.decimalText(v, scale: 9) : String(v)
        }
        let fields: [(name: String, label: String, logs: String, value: (Report) -> String)] = [
            ("cost", "cost (USD)", JSONWriter.decimalText(r.cost, scale: 9), { shown($0.costNano, money: true) }),
            ("tokens", "tokens", String(r.totalTokens), { shown($0.totalTokens) }),
            ("turns", "turns", String(r.turnCount), { shown($0.turns) }),
            ("tools", "tools", String(r.toolCount), { shown($0.tools) }),
        ]
        return [
            "hasReports": true, "sources": sources,
            "fields": fields.map { f in
                [
                    "name": f.label, "logs": f.logs,
                    "cells": sources.map { s in
                        [
                            "value": r.reported[s].map(f.value) ?? "—",
                            "mismatch": r.mismatch[s]?.contains(f.name) == true,
                        ] as Pages.Values
                    },
                ] as Pages.Values
            },
        ]
    }
}
