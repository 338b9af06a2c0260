/// The series `/metrics` exports at 0 before they first move.
///
/// Prometheus cannot tell a series that is absent from one that is 0, and an alert on a counter's
/// growth reads nothing on a series born at its first event's value: the first false failure of a
/// workflow, the first failed delivery to a sink. RunLedger knows most label sets that can move
/// before they do, and exports each at 0 from start-up, or from the moment it learns of it:
/// - every per-workflow series (`workflow(_:)`) of the profile's and the configuration's workflows,
///   of `unknown`, of every workflow the ledger's rollups name (so that a restart brings them back
///   whole, not only the series that had moved), and of a workflow the moment a commit first names it;
/// - `runledger_alerts_total` for every configured sink, every kind its filter accepts and every
///   outcome;
/// - `runledger_lines_total` for every source, every result.
/// What it cannot know in advance is a workflow named only as its first run ends: that series is born
/// at its value in the same commit, and the alerting rules count it whole (docs/alerts.md).
public enum ZeroSeries {
    /// Every series labelled with workflow `wf`: runs, cost, turns, tokens by kind, TaskGroup errors,
    /// false failures, mismatches by field, and the histograms' parts. Not tool uses: tool names are
    /// not known before a run uses them.
    public static func workflow(_ wf: String) -> [SeriesKey] {
        var keys = [
            SeriesKey(Metrics.runsStarted.name, [wf]), SeriesKey(Metrics.runsActive.name, [wf]),
            SeriesKey(Metrics.runsStalled.name, [wf]),
            SeriesKey(Metrics.cost.name, [wf]), SeriesKey(Metrics.turns.name, [wf]),
            SeriesKey(Metrics.taskgroupErrors.name, [wf]), SeriesKey(Metrics.falseFailures.name, [wf]),
        ]
        keys += RunStatus.terminal.map { SeriesKey(Metrics.runsFinished.name, [wf, $0.rawValue]) }
        keys += Metrics.tokenKinds.map { SeriesKey(Metrics.tokens.name, [wf, $0]) }
        keys += Metrics.mismatchFields.map { SeriesKey(Metrics.mismatches.name, [wf, $0]) }
        for spec in histograms {
            let bounds = spec.buckets.map(Contribution.formatBound) + ["+Inf"]
            keys += bounds.map { SeriesKey(spec.name + "_bucket", [wf, $0]) }
            keys += [SeriesKey(spec.name + "_sum", [wf]), SeriesKey(spec.name + "_count", [wf])]
        }
        return keys
    }

    /// `runledger_alerts_total` for each kind the sink's filter accepts, in each outcome.
    public static func sink(_ route: AlertRoute) -> [SeriesKey] {
        AlertKind.allCases.filter { route.kinds?.contains($0) ?? true }.flatMap { kind in
            Metrics.alertOutcomes.map { SeriesKey(Metrics.alerts.name, [route.sink, kind.rawValue, $0]) }
        }
    }

    /// `runledger_lines_total` for each result.
    public static func source(_ source: String) -> [SeriesKey] {
        LineResult.allCases.map { SeriesKey(Metrics.lines.name, [source, $0.rawValue]) }
    }

    /// Everything exported at 0 at start-up, before the rollups are added.
    public static func initial(
        workflows: [String], rollups: SeriesValues, sources: [String], sinks: [AlertRoute]
    ) -> SeriesValues {
        var zero: SeriesValues = [:]
        for wf in Set(workflows + ["unknown"]).union(self.workflows(in: rollups)) {
            for key in workflow(wf) { zero[key] = 0 }
        }
        for s in sources { for key in source(s) { zero[key] = 0 } }
        for route in sinks { for key in sink(route) { zero[key] = 0 } }
        zero[SeriesKey(Metrics.labelsFolded.name, ["workflow"])] = 0
        return zero
    }

    /// The workflows the per-workflow series among `values` are labelled with.
    public static func workflows(in values: SeriesValues) -> Set<String> {
        Set(values.keys.lazy.compactMap(workflow(of:)))
    }

    /// The workflow label of a per-workflow series; nil for any other series.
    @inline(__always)
    public static func workflow(of key: SeriesKey) -> String? {
        perWorkflowNames.contains(key.name) ? key.labels.first : nil
    }

    private static let histograms = [Metrics.runCost, Metrics.runTurns, Metrics.runDuration]

    /// The names of every series whose first label is `workflow` (histograms by their parts' names).
    private static let perWorkflowNames: Set<String> = Set(
        Metrics.ledgerDerived.filter { $0.labels.first == "workflow" }.flatMap { spec in
            spec.type == .histogram ? ["_bucket", "_sum", "_count"].map { spec.name + $0 } : [spec.name]
        })
}
