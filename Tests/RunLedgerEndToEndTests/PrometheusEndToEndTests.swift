import Foundation
import TestSupport
import Testing

/// The whole path with the real tools: `runledger serve` follows a log, Debian's Prometheus scrapes
/// it in both exposition formats with the shipped rules loaded, an executor run that is a false
/// failure is appended, and Prometheus's HTTP API must show the right counters and the firing alert.
@Suite(.serialized, .tags(.slow)) struct PrometheusEndToEndTests {
    static let openMetricsJob = "runledger"
    static let textJob = "runledger-text"

    /// Two jobs on the same RunLedger: Prometheus 2.42 always sends its Accept header preferring
    /// OpenMetrics and has no setting to ask for text, so the second job forces text 0.0.4 with
    /// `?format=text`. One-second scrapes and evaluations keep the test short.
    static func config(target: String) -> String {
        PrometheusProcess.fastConfigWithRules + """
            scrape_configs:
              - job_name: \(openMetricsJob)
                static_configs:
                  - targets: ["\(target)"]
              - job_name: \(textJob)
                params:
                  format: [text]
                static_configs:
                  - targets: ["\(target)"]

            """
    }

    /// One bug-era run: started, its id-less burst with a TaskGroup error, 5 turns and a tool, then
    /// ended failed and named `workflow` just after: a false failure. (Lines as the shared sample log
    /// has them, from the executor's bug era; `Background workflow NAME completed` is written by
    /// src/agents/claude_code/agent.py@833405bd.)
    static func falseFailureRun(workflow: String = "builder") -> String {
        let db = UUID().uuidString.lowercased(), run = UUID().uuidString.lowercased()
        let session = UUID().uuidString.lowercased()
        let esc = "\u{1B}"
        let sdk = "src.agents.claude_code.sdk_executor"
        let agent = "src.agents.claude_code.agent"
        let lines = [
            "2025-06-19 18:30:00,000 - \(agent) - INFO - 📝 \(esc)[92mCreated workflow run record \(db) for run_id \(run)\(esc)[0m",
            "2025-06-19 18:30:01,000 - \(sdk) - INFO - 📝 \(esc)[92mSDK Executor: TaskGroup error in thread pool context (expected): unhandled errors in a TaskGroup (1 sub-exception)\(esc)[0m",
            "2025-06-19 18:30:01,010 - \(sdk) - INFO - 📝 \(esc)[92mSDK Executor: Processing 15 collected messages for data extraction\(esc)[0m",
            "2025-06-19 18:30:01,020 - \(sdk) - INFO - 📝 \(esc)[92mSDK Executor: Captured tool usage - MultiEdit (id: toolu_012fdeeTFJGvVvQe1sKhBN88)\(esc)[0m",
            "2025-06-19 18:30:01,030 - \(sdk) - INFO - 📝 \(esc)[92mSDK Executor: Correcting turn count from 0 to 5 based on actual AssistantMessages\(esc)[0m",
            "2025-06-19 18:30:01,040 - \(sdk) - ERROR - ❌ \(esc)[91mSDK Executor: Marking execution as failed due to TaskGroup conflict\(esc)[0m",
            "2025-06-19 18:30:01,050 - \(sdk) - INFO - 📝 \(esc)[92mSDK Executor: Final tool extraction results - 1 tools captured: ['MultiEdit']\(esc)[0m",
            "2025-06-19 18:30:01,060 - \(agent) - INFO - 📝 \(esc)[92mUpdated session \(session) with final status: failed (workflow_run_id: \(db))\(esc)[0m",
            "2025-06-19 18:30:01,070 - \(agent) - INFO - 📝 \(esc)[92mBackground workflow \(workflow) completed: False\(esc)[0m",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `name{labels}` from an exposition, with the job matcher added for a Prometheus query.
    static func selector(_ series: String, job: String) -> String {
        series.replacingOccurrences(of: "{", with: "{job=\"\(job)\",")
    }

    @Test func prometheusScrapesBothFormatsCountsAFalseFailureAndFiresItsAlert() throws {
        let started = Date()
        let dir = TempDir()
        let log = dir.file("executor.log")
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: log)
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), log], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        // RunLedger has read the whole sample before Prometheus first looks, so that its history is
        // the counters' starting point and not an increase that alerts.
        let linesKey = "runledger_lines_total{source=\"\(log)\""
        // Bounded, with room for a loaded machine: it took over 15 s once beside a parallel build.
        let caughtUp = serve.waitFor("/metrics", within: 45) { body in
            let s = samples(body)
            return s.filter { $0.key.hasPrefix(linesKey) }.values.reduce(0, +) == 918
                && s["runledger_source_lag_bytes{source=\"\(log)\"}"] == 0
        }
        try #require(caughtUp != nil, "serve did not read the sample: \(serve.stderr)")
        let before = samples(try #require(serve.get("/metrics")).body)

        let prometheus = try PrometheusProcess(config: Self.config(target: "127.0.0.1:\(serve.port)"), dir: dir)
        defer { prometheus.stop() }
        let jobs = [Self.openMetricsJob, Self.textJob]

        // Both targets scraped without error. Prometheus picks its parser from the response's content
        // type, and its OpenMetrics parser refuses a body without `# EOF`: a healthy `runledger` job
        // means Prometheus accepted RunLedger's OpenMetrics. (New targets are applied ~5 s after start.)
        var targets: [[String: Any]] = []
        let healthy = prometheus.waitUntil(within: 30) {
            let data = prometheus.api("/api/v1/targets?state=active") as? [String: Any]
            targets = data?["activeTargets"] as? [[String: Any]] ?? []
            return targets.count == 2
                && targets.allSatisfy { $0["health"] as? String == "up" && $0["lastError"] as? String == "" }
        }
        try #require(healthy, "targets not healthy: \(targets)\n\(prometheus.log)")
        for t in targets {
            let job = (t["labels"] as? [String: String])?["job"] ?? ""
            #expect((t["scrapeUrl"] as? String ?? "").hasSuffix("/metrics?format=text") == (job == Self.textJob))
        }

        // Which parser read each job: Prometheus keeps metric metadata under the family name, and an
        // OpenMetrics counter family is named without `_total` while a 0.0.4 one keeps it.
        func metadata(_ job: String) -> [String: String] {
            let match = "{job=\"\(job)\"}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let entries = prometheus.api("/api/v1/targets/metadata?match_target=\(match)") as? [[String: Any]] ?? []
            return Dictionary(
                entries.map { ($0["metric"] as? String ?? "", $0["type"] as? String ?? "") },
                uniquingKeysWith: { a, _ in a })
        }
        let om = metadata(Self.openMetricsJob), text = metadata(Self.textJob)
        #expect(om["agent_workflow_false_failures"] == "counter", "OpenMetrics job metadata: \(om)")
        #expect(om["agent_workflow_false_failures_total"] == nil)
        #expect(text["agent_workflow_false_failures_total"] == "counter", "text job metadata: \(text)")
        #expect(om["agent_workflow_run_turns"] == "histogram" && text["agent_workflow_run_turns"] == "histogram")

        // Two samples per job before the append, so that the alert window holds the value before the
        // change; then one rule evaluation on them, which must find nothing to alert on: history is
        // not news.
        let builderFF = "agent_workflow_false_failures_total{workflow=\"builder\"}"
        let twoSamples = prometheus.waitUntil(within: 15) {
            let r = prometheus.query("count_over_time(\(builderFF)[1m])") ?? []
            return r.count == 2 && r.allSatisfy { $0.value >= 2 }
        }
        try #require(twoSamples, "Prometheus did not scrape twice:\n\(prometheus.log)")
        let sampled = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up))
        #expect(prometheus.waitUntil(within: 10) { Self.lastEvaluation(prometheus) >= sampled })
        let quiet = prometheus.api("/api/v1/alerts") as? [String: Any]
        #expect((quiet?["alerts"] as? [Any])?.isEmpty == true, "alerts before the false failure: \(quiet ?? [:])")

        // The executor logs a false failure.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        handle.write(Data(Self.falseFailureRun().utf8))
        try handle.close()

        // Prometheus must see what RunLedger counted: each series moved by exactly the run's values.
        let truth = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth))) as? [String: Any])
        let totals = try #require(truth["totals"] as? [String: Any])
        // Moves by the run's values; a sum(…) entry is an absolute total (from truth.json).
        let expected: [(series: String, value: Double)] = [
            (builderFF, 1),
            ("sum(agent_workflow_false_failures_total{})", Double(totals["false_failures"] as? Int ?? -1) + 1),
            ("agent_workflow_runs_started_total{workflow=\"builder\"}", 1),
            ("agent_workflow_runs_finished_total{workflow=\"builder\",status=\"failed\"}", 1),
            ("agent_workflow_taskgroup_errors_total{workflow=\"builder\"}", 1),
            ("agent_workflow_turns_total{workflow=\"builder\"}", 5),
            ("agent_workflow_tool_uses_total{workflow=\"builder\",tool=\"MultiEdit\"}", 1),
            ("agent_workflow_run_turns_count{workflow=\"builder\"}", 1),
            ("agent_workflow_reporting_mismatches_total{workflow=\"builder\",field=\"cost\"}", 0),
            ("agent_workflow_cost_usd_total{workflow=\"builder\"}", 0),
        ].map { series, delta in
            series.hasPrefix("sum(") ? (series, delta) : (series, (before[series] ?? .nan) + delta)
        }
        let counted = prometheus.waitUntil(within: 15) {
            jobs.allSatisfy { prometheus.query(Self.selector(builderFF, job: $0))?.first?.value == expected[0].value }
        }
        #expect(counted, "Prometheus did not see the false failure:\n\(serve.stderr)")
        let after = samples(try #require(serve.get("/metrics")).body)
        for (series, value) in expected {
            for job in jobs {
                let got = prometheus.query(Self.selector(series, job: job)) ?? []
                #expect(got.count == 1 && got.first?.value == value, "\(job) \(series): \(got), expected \(value)")
            }
            if !series.hasPrefix("sum(") { #expect(after[series] == value, "RunLedger \(series)") }
        }
        let lines = prometheus.query("sum by (job) (runledger_lines_total)") ?? []
        #expect(lines.count == 2 && lines.allSatisfy { $0.value == 918 + 9 }, "\(lines)")

        // The false-failure alert fires, once per job, for builder, with the count in its summary;
        // nothing else fires or waits.
        var alerts: [[String: Any]] = []
        let firing = prometheus.waitUntil(within: 15) {
            alerts = (prometheus.api("/api/v1/alerts") as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
            return alerts.filter { $0["state"] as? String == "firing" }.count >= 2
        }
        #expect(firing, "the alert did not fire: \(alerts)")
        #expect(alerts.count == 2, "\(alerts)")
        for job in jobs {
            let alert = alerts.first { ($0["labels"] as? [String: String])?["job"] == job }
            let labels = alert?["labels"] as? [String: String] ?? [:]
            #expect(labels["alertname"] == "AgentWorkflowFalseFailure" && labels["workflow"] == "builder", "\(labels)")
            #expect(alert?["state"] as? String == "firing")
            #expect(
                (alert?["annotations"] as? [String: String])?["summary"]
                    == "1 false failure(s) of workflow builder in the last 15 minutes")
        }

        // Every dashboard query runs on this Prometheus, and shows data: only the alert-delivery panel
        // has nothing to show while no alert sink is configured.
        var ran = 0
        for file in Paths.dashboardFiles {
            for p in try Dashboard.load(file).allPanels {
                for t in p.targets ?? [] {
                    let expr = Dashboard.substitute(t.expr, rateInterval: "1m")
                    let result = prometheus.query(expr)
                    #expect(result != nil, "\(file) \(p.title ?? ""): Prometheus refused \(expr)")
                    if !expr.contains("runledger_alerts_total") {
                        #expect(result?.isEmpty == false, "\(file) \(p.title ?? ""): no data for \(expr)")
                    }
                    print("dashboard query on Prometheus: \(result?.count ?? -1) series: \(expr)")
                    ran += 1
                }
            }
        }
        #expect(ran > 20)
        print("end to end with Prometheus took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// When the alerting group last ran (from `/api/v1/rules`).
    static func lastEvaluation(_ prometheus: PrometheusProcess) -> Date {
        let groups = (prometheus.api("/api/v1/rules?type=alert") as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        guard
            let stamp = groups.first(where: { $0["name"] as? String == "agent-workflows" })?["lastEvaluation"]
                as? String
        else { return .distantPast }
        // RFC 3339 with nanoseconds; whole seconds are enough here.
        let seconds = String(stamp.prefix { $0 != "." && $0 != "Z" && $0 != "+" }) + "Z"
        return ISO8601DateFormatter().date(from: seconds) ?? .distantPast
    }
}
