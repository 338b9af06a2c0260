import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerServer

/// `/metrics` exports at 0 every label set it knows can move before it moves, so that an alert on a
/// counter's growth sees the 0 before the first event (issue 12, item 1). Prometheus cannot tell an
/// absent series from a 0 one; these tests read the exposition a scrape gets.
@Suite struct ZeroSeriesTests {
    static func line(_ series: String, _ value: String) -> String { series + " " + value + "\n" }

    /// After a restart the ledger's rollups hold only the series that moved: a workflow with runs
    /// and no false failure (deployer, the issue's example) had no false-failure series at all.
    @Test func aWorkflowTheLedgerNamesIsExportedWholeAfterARestart() {
        let rollups: SeriesValues = [
            SeriesKey(Metrics.runsStarted.name, ["deployer"]): 3,
            SeriesKey(Metrics.runsFinished.name, ["deployer", "completed"]): 3,
        ]
        let text = LiveMetrics(rollups: rollups, workflows: [], sources: [], build: .unknown(version: "t")).render()
        #expect(text.contains(Self.line(#"agent_workflow_runs_started_total{workflow="deployer"}"#, "3")))
        #expect(text.contains(Self.line(#"agent_workflow_false_failures_total{workflow="deployer"}"#, "0")))
        #expect(text.contains(Self.line(#"agent_workflow_taskgroup_errors_total{workflow="deployer"}"#, "0")))
        for field in Metrics.mismatchFields {
            let series = #"agent_workflow_reporting_mismatches_total{workflow="deployer",field="\#(field)"}"#
            #expect(text.contains(Self.line(series, "0")), "\(field)")
        }
        #expect(text.contains(Self.line(#"agent_workflow_runs_stalled{workflow="deployer"}"#, "0.0")))  // a gauge
    }

    /// A workflow first named by a commit (a run's start, or its end) gets all its series in that
    /// commit: its next false failure is a change from 0.
    @Test func aCommitThatFirstNamesAWorkflowExportsItsEventCountersAtZero() {
        let metrics = LiveMetrics(rollups: [:], workflows: [], sources: [], build: .unknown(version: "t"))
        let falseFailures = #"agent_workflow_false_failures_total{workflow="deployer"}"#
        #expect(!metrics.render().contains(falseFailures))
        metrics.apply([SeriesKey(Metrics.runsStarted.name, ["deployer"]): 1])
        let started = metrics.render()
        #expect(started.contains(Self.line(falseFailures, "0")))
        #expect(
            started.contains(
                Self.line(#"agent_workflow_reporting_mismatches_total{workflow="deployer",field="cost"}"#, "0")))
        #expect(started.contains(Self.line(#"agent_workflow_run_turns_count{workflow="deployer"}"#, "0")))
        metrics.apply([SeriesKey(Metrics.falseFailures.name, ["deployer"]): 1])
        #expect(metrics.render().contains(Self.line(falseFailures, "1")))
        // A commit that failed part-way resets to the ledger's sums, which may not name deployer yet:
        // its series stay, at 0, rather than vanish and be born again at 1.
        metrics.reset(rollups: [:])
        #expect(metrics.render().contains(Self.line(falseFailures, "0")))
    }

    /// Each configured sink has its failed deliveries at 0 from the first scrape, for every kind its
    /// filter lets through, so that its first failure is a change from 0.
    @Test func everyConfiguredSinkIsExportedAtZeroForTheKindsItAccepts() {
        let sinks = [
            AlertRoute(sink: "slack"),
            AlertRoute(sink: "team-builder", kinds: [.falseFailure, .stalledRun], workflows: ["builder"]),
        ]
        let text = LiveMetrics(rollups: [:], workflows: [], sources: [], sinks: sinks, build: .unknown(version: "t"))
            .render()
        func series(_ sink: String, _ kind: AlertKind, _ outcome: String) -> String {
            #"runledger_alerts_total{sink="\#(sink)",kind="\#(kind.rawValue)",outcome="\#(outcome)"}"#
        }
        for kind in AlertKind.allCases {
            for outcome in Metrics.alertOutcomes {
                #expect(text.contains(Self.line(series("slack", kind, outcome), "0")), "slack \(kind) \(outcome)")
                let accepted = kind == .falseFailure || kind == .stalledRun
                #expect(text.contains(series("team-builder", kind, outcome)) == accepted, "team-builder \(kind)")
            }
        }
        // The order of the labels is the catalog's, as swift-prometheus renders them.
        #expect(Metrics.alerts.labels == ["sink", "kind", "outcome"])
    }
}
