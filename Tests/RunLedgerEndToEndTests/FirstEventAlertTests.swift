import Foundation
import TestSupport
import Testing

/// The first false failure of a workflow RunLedger had never seen reaches a person (issue 12, item 1):
/// `runledger serve`, Debian's Prometheus with the shipped rules and a real Alertmanager. The run is
/// named only by its last line, so its workflow's counter is born at 1 in the commit that ends it;
/// `x - min_over_time(x[15m])` read 0 there and nothing fired.
@Suite(.serialized, .tags(.slow)) struct FirstEventAlertTests {
    static func config(target: String, alertmanager: Int) -> String {
        PrometheusProcess.fastConfigWithRules + """
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ["127.0.0.1:\(alertmanager)"]
            scrape_configs:
              - job_name: runledger
                static_configs:
                  - targets: ["\(target)"]

            """
    }

    @Test func theFirstFalseFailureOfANewWorkflowReachesAlertmanager() throws {
        let dir = TempDir()
        let log = dir.file("executor.log")
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        let am = try AlertmanagerProcess(dir: dir)
        defer { am.stop() }
        try #require(am.waitUntilReady(), "alertmanager did not start")
        // A sink nobody listens on: its deliveries only retry, but its series exist from the start.
        let sink = unusedLoopbackPort()
        let serve = try ServeProcess(
            args: ["--db", dir.file("l.db"), "--webhook", "generic=http://127.0.0.1:\(sink)/hook", log], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        let prometheus = try PrometheusProcess(
            config: Self.config(target: "127.0.0.1:\(serve.port)", alertmanager: am.port), dir: dir)
        defer { prometheus.stop() }

        // Prometheus has scraped RunLedger a few times: the sink's failed deliveries are there at 0,
        // and the new workflow is not there at all.
        let scraped = prometheus.waitUntil(within: 30) {
            (prometheus.query("count_over_time(runledger_build_info[1m])")?.first?.value ?? 0) >= 3
        }
        try #require(scraped, "Prometheus did not scrape RunLedger:\n\(prometheus.log)")
        let failed = prometheus.query(#"runledger_alerts_total{sink="generic",outcome="failed"}"#) ?? []
        #expect(
            Set(failed.compactMap { $0.labels["kind"] }) == [
                "false_failure", "reporting_mismatch", "cost_budget", "stalled_run",
            ]
                && failed.allSatisfy { $0.value == 0 }, "\(failed)")
        let deployer = #"agent_workflow_false_failures_total{workflow="deployer"}"#
        #expect(prometheus.query(deployer)?.isEmpty == true)

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.write(Data(PrometheusEndToEndTests.falseFailureRun(workflow: "deployer").utf8))
        try handle.close()

        // Born at 1: its first sample is the false failure (the run was named as it ended).
        let counted = prometheus.waitUntil(within: 15) { prometheus.query(deployer)?.first?.value == 1 }
        #expect(counted, "Prometheus did not see the false failure:\n\(serve.stderr)")
        #expect(prometheus.query("min_over_time(\(deployer)[1m])")?.first?.value == 1)
        // The same commit made the workflow's other event counters, at 0.
        let mismatch = #"agent_workflow_reporting_mismatches_total{workflow="deployer",field="tokens"}"#
        #expect(prometheus.waitUntil(within: 5) { prometheus.query(mismatch)?.first?.value == 0 })

        // Prometheus fires the alert and Alertmanager holds it, with the count in its summary.
        var held: [[String: Any]] = []
        let received = prometheus.waitUntil(within: 30) {
            held = (am.alerts() ?? []).filter {
                let labels = $0["labels"] as? [String: String] ?? [:]
                return labels["alertname"] == "AgentWorkflowFalseFailure" && labels["workflow"] == "deployer"
            }
            return !held.isEmpty
        }
        #expect(received, "Alertmanager did not get the alert; Prometheus: \(prometheus.api("/api/v1/alerts") ?? "")")
        let labels = held.first?["labels"] as? [String: String] ?? [:]
        #expect(labels["job"] == "runledger" && labels["instance"] == "127.0.0.1:\(serve.port)", "\(labels)")
        #expect(
            (held.first?["annotations"] as? [String: String])?["summary"]
                == "1 false failure(s) of workflow deployer in the last 15 minutes")
    }
}
