import Foundation
import RunLedgerCore
import TestSupport
import Testing

/// The dashboards and rules name only metrics and labels RunLedger really exports, their PromQL
/// parses, and every alert is documented, runbook-linked and unit-tested.
@Suite(.serialized, .tags(.slow)) struct MonitoringConsistencyTests {
    /// Defined in the catalog, but without series until something is configured, so neither
    /// `runledger metrics` nor `/metrics` shows them yet. Their labels come from the catalog.
    /// - runledger_alerts_total: counted per delivery once an alert sink exists (the alerts issue).
    static let noSeriesWithoutConfiguration: [String: MetricSpec] = [Metrics.alerts.name: Metrics.alerts]
    /// Exported only by `runledger serve` (they describe followed sources), so they are looked up in a
    /// running serve's `/metrics`, not in `runledger metrics`.
    static let serveOnly: Set<String> = [Metrics.sourceUp.name, Metrics.sourceLag.name]
    /// Written by Prometheus itself for every target.
    static let prometheusOwn: Set<String> = ["up", "scrape_duration_seconds", "scrape_samples_scraped"]
    /// Labels every scraped series carries (the target's), whatever the exposition says.
    static let targetLabels: Set<String> = ["job", "instance"]

    /// Label names (and values) by metric, from the two expositions and the rule files.
    struct Catalog {
        var printed: ExposedMetrics  // runledger metrics
        var served: ExposedMetrics  // runledger serve's /metrics
        var recorded: [String: Set<String>]

        /// The label names of `metric`, or why it is unknown.
        func labels(of metric: String) -> Swift.Result<Set<String>, Failure> {
            if MonitoringConsistencyTests.prometheusOwn.contains(metric) { return .success([]) }
            if let labels = recorded[metric] { return .success(labels) }
            if let spec = MonitoringConsistencyTests.noSeriesWithoutConfiguration[metric] {
                guard printed.labels[metric] == nil, served.labels[metric] == nil else {
                    return .failure(Failure("\(metric) has series now: take it off the no-series list"))
                }
                return .success(Set(spec.labels))
            }
            if MonitoringConsistencyTests.serveOnly.contains(metric) {
                guard let l = served.labels[metric] else {
                    return .failure(Failure("\(metric) not in serve's /metrics"))
                }
                return .success(Set(l.keys))
            }
            guard let l = printed.labels[metric] else {
                return .failure(Failure("\(metric) is not in the output of runledger metrics"))
            }
            return .success(Set(l.keys))
        }

        /// The values a label takes in the exposition, when the metric has series there.
        func values(of metric: String, _ label: String) -> Set<String>? {
            (printed.labels[metric] ?? served.labels[metric])?[label]
        }
    }

    /// Replays the shared sample, prints its exposition, and reads a serve's `/metrics` on it.
    static func catalog() throws -> Catalog {
        let dir = TempDir()
        #expect(try runledger("replay", "--db", dir.file("l.db"), Paths.sampleLog).status == 0)
        let printed = try runledger("metrics", "--db", dir.file("l.db"))
        #expect(printed.status == 0, "\(printed.stderr)")
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        let served = serve.waitFor("/metrics", within: 10) { $0.contains(Metrics.sourceLag.name) }
        #expect(served != nil, "serve did not export \(Metrics.sourceLag.name): \(serve.stderr)")
        var recorded: [String: Set<String>] = [:]
        for rule in try RuleFile.loadAll() {
            guard let name = rule.record else { continue }
            let q = PromQL(rule.expr)
            #expect(q.aggregates, "\(name): recorded series are aggregations; their labels are their grouping")
            recorded[name] = q.groupingLabels
        }
        return Catalog(
            printed: ExposedMetrics(printed.stdout), served: ExposedMetrics(serve.get("/metrics")?.body ?? ""),
            recorded: recorded)
    }

    /// Every PromQL expression the artifacts contain, named for messages, with its legend if any.
    static func expressions() throws -> [(name: String, expr: String, legend: String?, alert: RuleFile.Rule?)] {
        var out: [(String, String, String?, RuleFile.Rule?)] = []
        for file in Paths.dashboardFiles {
            let d = try Dashboard.load(file)
            for p in d.allPanels {
                for t in p.targets ?? [] {
                    out.append(("\(file) \(p.title ?? "") \(t.refId)", t.expr, t.legendFormat, nil))
                }
            }
            for v in d.templating.list where v.type == "query" {
                if let q = v.query, let lv = Dashboard.labelValuesQuery(q) {
                    out.append(("\(file) variable \(v.name)", lv.selector, "{{\(lv.label)}}", nil))
                }
            }
        }
        for rule in try RuleFile.loadAll() {
            out.append(("rule \(rule.alert ?? rule.record ?? "")", rule.expr, nil, rule.alert == nil ? nil : rule))
        }
        return out
    }

    @Test func everyMetricAndLabelUsedIsExported() throws {
        let catalog = try Self.catalog()
        var checked = 0
        for (name, expr, legend, alert) in try Self.expressions() {
            let q = PromQL(expr)
            var available = Self.targetLabels
            for s in q.selectors {
                checked += 1
                switch catalog.labels(of: s.metric) {
                case .failure(let why):
                    Issue.record("\(name): \(why)")
                case .success(let labels):
                    available.formUnion(labels)
                    for m in s.matchers {
                        #expect(
                            labels.contains(m.label) || Self.targetLabels.contains(m.label),
                            "\(name): \(s.metric) has no label \(m.label)")
                        if m.op == "=", let values = catalog.values(of: s.metric, m.label) {
                            #expect(
                                values.contains(m.value), "\(name): \(s.metric) never has \(m.label)=\"\(m.value)\"")
                        }
                    }
                }
                if !Self.prometheusOwn.contains(s.metric), catalog.recorded[s.metric] == nil {
                    let base = ["_bucket", "_sum", "_count"].reduce(s.metric) { name, suffix in
                        name.hasSuffix(suffix) && Metrics.spec(named: name) == nil
                            ? String(name.dropLast(suffix.count)) : name
                    }
                    #expect(Metrics.spec(named: base) != nil, "\(name): \(s.metric) is not in MetricCatalog.swift")
                }
            }
            for label in q.groupingLabels {
                #expect(available.contains(label), "\(name): groups by \(label), which none of its metrics has")
            }
            // What a legend or an alert template may name: the grouping labels after an aggregation,
            // otherwise the selected series' own labels.
            let result = q.aggregates ? q.groupingLabels : available
            var templated = Self.templateLabels(legend ?? "", prefix: "{{")
            for text in (alert?.annotations ?? [:]).values {
                templated += Self.templateLabels(text, prefix: "$labels.")
            }
            for label in templated {
                #expect(result.contains(label), "\(name): names label \(label), which its result does not have")
            }
        }
        #expect(checked > 40)
    }

    /// `{{workflow}}` in a legend, `{{ $labels.workflow }}` in an annotation.
    static func templateLabels(_ text: String, prefix: String) -> [String] {
        text.components(separatedBy: prefix).dropFirst().map { part in
            String(part.drop { $0 == " " }.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }.filter { !$0.isEmpty }
    }

    @Test func everyDashboardQueryParses() throws {
        // promtool parses each expression as Prometheus would, once Grafana has filled the variables in.
        let dir = TempDir()
        var yaml = "groups:\n  - name: dashboard-queries\n    rules:\n"
        var count = 0
        for (name, expr, _, alert) in try Self.expressions() where alert == nil && !name.hasPrefix("rule ") {
            count += 1
            let substituted = Dashboard.substitute(expr)
            #expect(!substituted.contains("$"), "\(name): a variable is left in \(substituted)")
            // A JSON string is a YAML double-quoted scalar, as long as `/` is not escaped (YAML has no `\/`).
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            let quoted = String(decoding: try encoder.encode(substituted), as: UTF8.self)
            yaml += "      - record: dashboard_query_\(count)\n        expr: \(quoted)\n"
            print("dashboard query checked by promtool: \(substituted)")
        }
        try yaml.write(toFile: dir.file("queries.yml"), atomically: true, encoding: .utf8)
        let promtool = try #require(which("promtool"), "promtool is installed by make test (Debian prometheus)")
        let check = try run(promtool, ["check", "rules", dir.file("queries.yml")])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: \(count) rules found"), "\(check.stdout)")
    }

    @Test func runbookURLsPointAtRunbookHeadings() throws {
        let runbooks = try String(contentsOfFile: Paths.runbooks, encoding: .utf8)
        let anchors = Set(runbooks.split(separator: "\n").filter { $0.hasPrefix("#") }.map(Self.githubAnchor))
        let prefix = "https://github.com/runledger/runledger/blob/main/docs/runbooks.md#"
        let alerts = try RuleFile.loadAll().filter { $0.alert != nil }
        #expect(alerts.count >= 10)
        for rule in alerts {
            let url = rule.annotations?["runbook_url"] ?? ""
            #expect(url.hasPrefix(prefix), "\(rule.alert!): \(url)")
            #expect(
                anchors.contains(String(url.dropFirst(prefix.count))),
                "\(rule.alert!): no heading in docs/runbooks.md for \(url)")
        }
    }

    /// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    static func githubAnchor(_ heading: Substring) -> String {
        let text = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
        return String(
            text.compactMap { c -> Character? in
                if c == " " { return "-" }
                return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
            })
    }

    @Test func alertsAreNamedLabelledAndSayTheNumbers() throws {
        let rules = try RuleFile.loadAll()
        for rule in rules {
            if let alert = rule.alert {
                #expect(alert.range(of: "^[A-Z][a-z]+([A-Z][a-z]+)+$", options: .regularExpression) != nil, "\(alert)")
                #expect(["critical", "warning", "info"].contains(rule.labels?["severity"] ?? ""), "\(alert)")
                let a = rule.annotations ?? [:]
                #expect(!(a["summary"] ?? "").isEmpty && !(a["description"] ?? "").isEmpty, "\(alert)")
                #expect(((a["summary"] ?? "") + (a["description"] ?? "")).contains("$value"), "\(alert): no number")
            } else if let record = rule.record {
                // level:metric:operations
                #expect(
                    record.range(of: "^[a-z_]+:[a-z_]+:[a-z0-9_]+$", options: .regularExpression) != nil, "\(record)")
            }
        }
    }

    @Test func everyAlertHasFiringAndSilentUnitTests() throws {
        let testsDir = Paths.alerts.appendingPathComponent("tests")
        var firing: Set<String> = [], silent: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: testsDir.path) where file.hasSuffix(".yml") {
            let json = try DebianPython.yamlAsJSON(testsDir.appendingPathComponent(file).path)
            let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            for test in root["tests"] as? [[String: Any]] ?? [] {
                for check in test["alert_rule_test"] as? [[String: Any]] ?? [] {
                    let name = check["alertname"] as? String ?? ""
                    if (check["exp_alerts"] as? [Any] ?? []).isEmpty {
                        silent.insert(name)
                    } else {
                        firing.insert(name)
                    }
                }
            }
        }
        for alert in try RuleFile.loadAll().compactMap(\.alert) {
            #expect(firing.contains(alert), "\(alert): no promtool test where it fires")
            #expect(silent.contains(alert), "\(alert): no promtool test where it must not fire")
        }
    }
}
