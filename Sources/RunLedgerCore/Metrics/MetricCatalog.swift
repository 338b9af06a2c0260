/// The metrics of DESIGN.md: names, types, help text, labels and the unit of their stored values.
public enum MetricType: String, Sendable { case counter, gauge, histogram }

public struct MetricSpec: Sendable {
    public var name: String
    public var type: MetricType
    public var help: String
    public var labels: [String]
    /// Stored values are integers; the exposition divides by this (cost in 10^-9 USD, durations in ms).
    public var divisor: Double
    /// Upper bounds of histogram buckets, in exposition units.
    public var buckets: [Double]

    init(
        _ name: String, _ type: MetricType, _ labels: [String], _ help: String, divisor: Double = 1,
        buckets: [Double] = []
    ) {
        self.name = name
        self.type = type
        self.help = help
        self.labels = labels
        self.divisor = divisor
        self.buckets = buckets
    }
}

public enum Metrics {
    public static let nanoUSD = 1_000_000_000.0

    public static let runsStarted = MetricSpec(
        "agent_workflow_runs_started_total", .counter, ["workflow"], "Workflow runs started, by workflow.")
    public static let runsFinished = MetricSpec(
        "agent_workflow_runs_finished_total", .counter, ["workflow", "status"],
        "Workflow runs that ended, by workflow and final status.")
    public static let runsActive = MetricSpec(
        "agent_workflow_runs_active", .gauge, ["workflow"], "Workflow runs started and not yet ended.")
    public static let runsStalled = MetricSpec(
        "agent_workflow_runs_stalled", .gauge, ["workflow"],
        "Workflow runs started, not ended, and quiet (no line of their own work) for the stall threshold.")
    public static let cost = MetricSpec(
        "agent_workflow_cost_usd_total", .counter, ["workflow"],
        "Cost of workflow runs in US dollars, as the logs show it.",
        divisor: nanoUSD)
    public static let turns = MetricSpec(
        "agent_workflow_turns_total", .counter, ["workflow"], "Agent turns of workflow runs, as the logs show them.")
    public static let tokens = MetricSpec(
        "agent_workflow_tokens_total", .counter, ["workflow", "kind"],
        "Tokens used by workflow runs, by kind (cache: cache tokens whose split the log does not give; unknown: a total the log does not split)."
    )
    public static let toolUses = MetricSpec(
        "agent_workflow_tool_uses_total", .counter, ["workflow", "tool"],
        "Tool uses by workflow runs, by tool (rare tools beyond the cap are counted as other).")
    public static let taskgroupErrors = MetricSpec(
        "agent_workflow_taskgroup_errors_total", .counter, ["workflow"],
        "Runs for which the executor reported a TaskGroup error.")
    public static let falseFailures = MetricSpec(
        "agent_workflow_false_failures_total", .counter, ["workflow"],
        "Runs marked failed after a TaskGroup error although they did real work.")
    public static let mismatches = MetricSpec(
        "agent_workflow_reporting_mismatches_total", .counter, ["workflow", "field"],
        "Runs whose executor reported 0 for a field after the run ended while the logs show more; one per run and field."
    )
    public static let runCost = MetricSpec(
        "agent_workflow_run_cost_usd", .histogram, ["workflow"], "Cost of each ended run in US dollars.",
        divisor: nanoUSD, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25])
    public static let runTurns = MetricSpec(
        "agent_workflow_run_turns", .histogram, ["workflow"], "Agent turns of each ended run.",
        buckets: [1, 2, 5, 10, 20, 30, 50, 100, 200])
    public static let runDuration = MetricSpec(
        "agent_workflow_run_duration_seconds", .histogram, ["workflow"],
        "Wall-clock duration of each ended run in seconds.",
        divisor: 1000, buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600])
    public static let lines = MetricSpec(
        "runledger_lines_total", .counter, ["source", "result"],
        "Log lines read, by source and result (matched, ignored, malformed).")
    public static let labelsFolded = MetricSpec(
        "runledger_label_values_folded_total", .counter, ["label"],
        "Runs counted under label value \"other\" because the label (workflow) already had its cap of values from log content."
    )
    public static let sourceUp = MetricSpec(
        "runledger_source_up", .gauge, ["source"], "1 while the source can be read, 0 while it cannot.")
    public static let sourceLag = MetricSpec(
        "runledger_source_lag_bytes", .gauge, ["source"],
        "Bytes written to the source that RunLedger has not read yet (pick-up lag).")
    public static let alerts = MetricSpec(
        "runledger_alerts_total", .counter, ["sink", "kind", "outcome"], "Alert deliveries by sink, kind and outcome.")
    public static let reportErrors = MetricSpec(
        "runledger_report_errors_total", .counter, ["source"],
        "Polls of the executor's own reports that failed, by source (db: its database, api: its status API).")
    public static let outboxPending = MetricSpec(
        "runledger_outbox_pending", .gauge, [], "Alerts waiting in the outbox for delivery.")
    public static let ledgerUp = MetricSpec(
        "runledger_ledger_up", .gauge, [],
        "1 while the ledger takes commits, 0 while its database cannot be reached (a PostgreSQL ledger that is down).")
    public static let reloadSuccessful = MetricSpec(
        "runledger_config_last_reload_successful", .gauge, [],
        "1 if the last reload of the configuration (SIGHUP) succeeded or none was asked for, 0 if it was refused.")
    public static let reloadSuccessTime = MetricSpec(
        "runledger_config_last_reload_success_timestamp_seconds", .gauge, [],
        "When the configuration was last loaded successfully (at start or by a reload), in seconds since the epoch.")
    public static let buildInfo = MetricSpec(
        "runledger_build_info", .gauge, ["version", "revision", "swiftversion"],
        "Always 1; the labels say which RunLedger is running (its version, git revision and Swift compiler).")

    /// Everything derived from the ledger (stored as rollups, moved by the change of a run's values).
    public static let ledgerDerived: [MetricSpec] = [
        runsStarted, runsFinished, runsActive, runsStalled, cost, turns, tokens, toolUses, taskgroupErrors,
        falseFailures,
        mismatches, runCost, runTurns, runDuration, lines, labelsFolded,
    ]

    public static let tokenKinds = ["input", "output", "cache_read", "cache_creation", "cache", "unknown"]
    public static let mismatchFields = ["cost", "tokens", "turns", "tools"]
    /// The outcomes of an alert delivery on `runledger_alerts_total`.
    public static let alertOutcomes = ["sent", "retried", "failed"]

    public static func spec(named name: String) -> MetricSpec? {
        (ledgerDerived + [
            sourceUp, sourceLag, alerts, reportErrors, outboxPending, ledgerUp, reloadSuccessful, reloadSuccessTime,
            buildInfo,
        ]).first {
            $0.name == name
        }
    }
}
