import Foundation
import Testing

/// The dashboards follow grafana/dashboard-linter's rules (Grafana and the linter are not installable
/// here, so the rules are checked on the JSON): a `datasource` variable, `job` and `instance`
/// variables, a title, description and unit on every panel, panels on `${datasource}`, every query
/// filtered by `$job` and `$instance`, `$__rate_interval` in every range, counters only through
/// `rate`/`irate`/`increase` and buckets only through `histogram_quantile`; and, RunLedger's own rule,
/// panels of flagged counts link to its run list.
@Suite struct DashboardLintTests {
    /// The Grafana unit ids these dashboards use; each is one of Grafana's built-in units.
    static let grafanaUnits: Set<String> = [
        "none", "short", "percent", "percentunit", "currencyUSD", "bytes", "s", "ms", "cps", "ops",
    ]

    @Test(arguments: Paths.dashboardFiles) func templateVariables(file: String) throws {
        let d = try Dashboard.load(file)
        let variables = Dictionary(d.templating.list.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ds = try #require(variables["datasource"], "\(file): no datasource variable")
        #expect(ds.type == "datasource" && ds.query == "prometheus" && ds.label == "Data source", "\(file)")
        for name in ["job", "instance"] {
            let v = try #require(variables[name], "\(file): no \(name) variable")
            #expect(v.type == "query", "\(file) \(name)")
            #expect(v.label == name.capitalized, "\(file) \(name)")
            #expect(["$datasource", "${datasource}"].contains(v.datasource?.uid ?? ""), "\(file) \(name)")
            #expect(v.multi == true && v.includeAll == true && v.allValue == ".+", "\(file) \(name)")
        }
        for v in d.templating.list where v.type == "query" {
            // Reload on time range change (linter: template-on-time-change-reload).
            #expect(v.refresh == 2, "\(file) \(v.name)")
            let query = try #require(v.query, "\(file) \(v.name)")
            #expect(Dashboard.labelValuesQuery(query) != nil, "\(file) \(v.name): \(query)")
            #expect(["$datasource", "${datasource}"].contains(v.datasource?.uid ?? ""), "\(file) \(v.name)")
        }
        #expect(d.editable == false, "\(file): dashboards ship read-only (linter: uneditable-dashboard)")
        #expect(d.uid?.hasPrefix("runledger-") == true, "\(file): a stable uid keeps links working across imports")
    }

    @Test(arguments: Paths.dashboardFiles) func everyPanelHasATitleADescriptionAndAUnit(file: String) throws {
        let d = try Dashboard.load(file)
        #expect(!d.allPanels.isEmpty)
        for p in d.allPanels {
            let name = "\(file) panel \(p.id ?? -1) \(p.title ?? "")"
            #expect(!(p.title ?? "").isEmpty, "\(name): no title")
            #expect((p.description ?? "").count >= 20, "\(name): no description")
            let unit = p.fieldConfig?.defaults?.unit ?? ""
            #expect(Self.grafanaUnits.contains(unit), "\(name): unit \"\(unit)\"")
        }
        let ids = d.allPanels.compactMap(\.id)
        #expect(Set(ids).count == d.allPanels.count, "\(file): every panel needs its own id")
    }

    @Test(arguments: Paths.dashboardFiles) func panelsQueryTheTemplatedDatasource(file: String) throws {
        let d = try Dashboard.load(file)
        for p in d.allPanels where p.type != "text" && p.type != "row" {
            let name = "\(file) panel \(p.title ?? "")"
            #expect(!(p.targets ?? []).isEmpty, "\(name): no query")
            #expect(p.datasource?.uid == "${datasource}", "\(name)")
            #expect(p.datasource?.type == "prometheus", "\(name)")
            for t in p.targets ?? [] { #expect(t.datasource?.uid == "${datasource}", "\(name) \(t.refId)") }
        }
    }

    @Test(arguments: Paths.dashboardFiles) func queriesFilterByJobAndInstanceAndUseRateInterval(file: String) throws {
        let d = try Dashboard.load(file)
        for p in d.allPanels {
            for t in p.targets ?? [] {
                let name = "\(file) \(p.title ?? "") \(t.refId): \(t.expr)"
                let q = PromQL(t.expr)
                #expect(!q.selectors.isEmpty, "\(name)")
                for s in q.selectors {
                    #expect(s.matchers.contains(.init(label: "job", op: "=~", value: "$job")), "\(name)")
                    #expect(s.matchers.contains(.init(label: "instance", op: "=~", value: "$instance")), "\(name)")
                    if let range = s.range { #expect(range == "$__rate_interval", "\(name)") }
                }
            }
        }
    }

    @Test(arguments: Paths.dashboardFiles) func countersAreNeverGraphedRaw(file: String) throws {
        let d = try Dashboard.load(file)
        for p in d.allPanels {
            for t in p.targets ?? [] {
                let name = "\(file) \(p.title ?? "") \(t.refId): \(t.expr)"
                for s in PromQL(t.expr).selectors {
                    if s.metric.hasSuffix("_total") {
                        #expect(s.range != nil && s.isDirectArgument, "\(name): \(s.metric) raw")
                        #expect(["rate", "irate", "increase"].contains(s.enclosing.last ?? ""), "\(name): \(s.metric)")
                    }
                    if s.metric.hasSuffix("_bucket") {
                        #expect(s.enclosing.contains("histogram_quantile"), "\(name): \(s.metric) outside a quantile")
                        #expect(s.enclosing.last == "rate", "\(name): \(s.metric)")
                    }
                }
            }
        }
    }

    /// What each flagged count is, as a filter of RunLedger's run list (`/runs`).
    static let runListFilters: [String: String] = [
        "agent_workflow_false_failures_total": "false_failure=1",
        "agent_workflow_reporting_mismatches_total": "mismatch=",
        "agent_workflow_runs_stalled": "status=running",
    ]
    /// The run list's parameter for a series label a link passes on.
    static let runListParameters = ["workflow": "workflow", "field": "mismatch"]

    /// A panel that counts flagged runs (false failures, mismatches, stalled runs) links each series
    /// to those runs in RunLedger's run list: the runs are not in Prometheus (a run id is never a
    /// label), and a count nobody can open is a dead end. The link carries the series' workflow or
    /// field, and for counts over time the dashboard's time range.
    @Test(arguments: Paths.dashboardFiles) func flaggedCountPanelsLinkToTheRunList(file: String) throws {
        let d = try Dashboard.load(file)
        let urlVariable = d.templating.list.first { $0.name == "runledger_url" }
        var linked = 0
        for p in d.allPanels {
            for t in p.targets ?? [] {
                let name = "\(file) \(p.title ?? "") \(t.refId)"
                let q = PromQL(t.expr)
                let links = Dashboard.links(of: p, refId: t.refId)
                // A link names only labels its series carry: an absent one would be an empty filter.
                for link in links {
                    for label in Self.fieldLabels(in: link.url) {
                        #expect(q.groupingLabels.contains(label), "\(name): \(link.url) names \(label), which it lacks")
                    }
                }
                for metric in Set(q.selectors.map(\.metric)) {
                    guard let filter = Self.runListFilters[metric] else { continue }
                    linked += 1
                    #expect(
                        urlVariable?.type == "textbox", "\(file): no runledger_url variable for the run list's links")
                    let toList = links.filter { $0.url.hasPrefix("${runledger_url}/runs?") && $0.url.contains(filter) }
                    #expect(
                        !toList.isEmpty, "\(name): counts \(metric) but links to no ${runledger_url}/runs?\(filter)")
                    for (label, parameter) in Self.runListParameters
                    where q.groupingLabels.contains(label) && (label != "field" || filter == "mismatch=") {
                        let passed = "\(parameter)=${__field.labels.\(label)}"
                        #expect(
                            toList.contains { $0.url.contains(passed) }, "\(name): its link does not pass \(passed)")
                    }
                    if metric.hasSuffix("_total") {
                        let range = ["since=${__from:date:iso}", "until=${__to:date:iso}"]
                        #expect(
                            toList.contains { l in range.allSatisfy { l.url.contains($0) } },
                            "\(name): counts over time, and its link does not pass the time range")
                    }
                }
            }
        }
        if file == "agent-workflows.json" { #expect(linked >= 3, "\(file): the flagged-count panels") }
    }

    /// The labels a data link takes from its series: `${__field.labels.NAME}`.
    static func fieldLabels(in url: String) -> [String] {
        url.components(separatedBy: "${__field.labels.").dropFirst().map {
            String($0.prefix { $0 != "}" && $0 != ":" })
        }
    }

    /// The scanner the checks above rely on finds what they look for.
    @Test func theScannerFindsSelectorsAndTheirContext() {
        let q = PromQL(
            #"histogram_quantile(0.9, sum by (le) (rate(agent_workflow_run_turns_bucket{job=~"$job",le!="x"}[$__rate_interval])))"#
                + #" / on (instance) group_left max(runledger_build_info) and agent_workflow_cost_usd_total offset 5m"#)
        #expect(
            q.selectors.map(\.metric) == [
                "agent_workflow_run_turns_bucket", "runledger_build_info", "agent_workflow_cost_usd_total",
            ])
        #expect(q.selectors[0].enclosing == ["histogram_quantile", "sum", "rate"])
        #expect(q.selectors[0].range == "$__rate_interval")
        #expect(q.selectors[0].isDirectArgument)
        #expect(
            q.selectors[0].matchers == [
                .init(label: "job", op: "=~", value: "$job"), .init(label: "le", op: "!=", value: "x"),
            ])
        #expect(q.selectors[1].enclosing == ["max"])
        #expect(q.selectors[2].enclosing.isEmpty && !q.selectors[2].isDirectArgument)
        #expect(q.groupingLabels == ["le", "instance"])
        #expect(q.aggregates)
        let raw = PromQL(#"sum(agent_workflow_cost_usd_total) - rate(x_total[5m] offset 1m)"#)
        #expect(!raw.selectors[0].isDirectArgument || raw.selectors[0].range == nil)
        #expect(raw.selectors[1].range == "5m" && raw.selectors[1].isDirectArgument)
        #expect(raw.selectors[1].enclosing == ["rate"])
        #expect(!PromQL("up == 0").aggregates)
    }
}
