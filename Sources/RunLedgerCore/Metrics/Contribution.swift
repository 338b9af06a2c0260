/// What one run adds to the ledger-derived series. Counters move by the change of a run's
/// contribution, so every counter is the sum over the ledger at all times.
public enum Contribution {
    public static func of(_ r: RunRecord, tools labeler: inout ToolLabeler) -> SeriesValues {
        var v: SeriesValues = [:]
        let wf = r.metricsWorkflow
        let status = r.currentStatus
        // A gauge may move between labels; counters wait until the workflow is settled.
        if status == .running { v[SeriesKey(Metrics.runsActive.name, [wf])] = 1 }
        if r.isStalled { v[SeriesKey(Metrics.runsStalled.name, [wf])] = 1 }
        guard r.workflowSettled else { return v }
        v[SeriesKey(Metrics.runsStarted.name, [wf])] = 1
        if status.isTerminal { v[SeriesKey(Metrics.runsFinished.name, [wf, status.rawValue])] = 1 }
        addMetrics(of: r, workflow: wf, tools: &labeler, into: &v)
        if r.taskgroupError { v[SeriesKey(Metrics.taskgroupErrors.name, [wf])] = 1 }
        if r.falseFailure { v[SeriesKey(Metrics.falseFailures.name, [wf])] = 1 }
        for field in r.mismatchFields { v[SeriesKey(Metrics.mismatches.name, [wf, field])] = 1 }
        if status.isTerminal {
            observe(Metrics.runCost, wf, r.cost, into: &v)
            observe(Metrics.runTurns, wf, r.turnCount, into: &v)
            if let d = r.durationMs { observe(Metrics.runDuration, wf, d, into: &v) }
        }
        return v
    }

    /// An unattributed group counts its cost, turns, tokens, tools and TaskGroup errors under
    /// `workflow="unknown"`; it is not a run, so it neither starts nor finishes.
    public static func ofUnattributed(_ r: RunRecord, tools labeler: inout ToolLabeler) -> SeriesValues {
        var v: SeriesValues = [:]
        addMetrics(of: r, workflow: "unknown", tools: &labeler, into: &v)
        if r.taskgroupError { v[SeriesKey(Metrics.taskgroupErrors.name, ["unknown"])] = 1 }
        return v
    }

    private static func addMetrics(
        of r: RunRecord, workflow wf: String, tools labeler: inout ToolLabeler, into v: inout SeriesValues
    ) {
        if r.cost != 0 { v[SeriesKey(Metrics.cost.name, [wf])] = r.cost }
        if r.turnCount != 0 { v[SeriesKey(Metrics.turns.name, [wf])] = r.turnCount }
        for (kind, n) in r.tokens.byKind where n != 0 {
            v[SeriesKey(Metrics.tokens.name, [wf, kind]), default: 0] += n
        }
        for tool in r.tools {
            let key = SeriesKey(Metrics.toolUses.name, [wf, labeler.label(tool.name)])
            v[key] = (v[key] ?? 0).saturatingAdd(tool.uses)
        }
    }

    /// Histogram parts for one observation; `value` is in stored units (see `MetricSpec.divisor`).
    static func observe(_ spec: MetricSpec, _ wf: String, _ value: Int64, into v: inout SeriesValues) {
        let names = HistogramNames.of(spec)
        let x = Double(value) / spec.divisor
        for (bound, label) in zip(spec.buckets, names.bounds) where x <= bound {
            v[SeriesKey(names.bucket, [wf, label])] = 1
        }
        v[SeriesKey(names.bucket, [wf, "+Inf"])] = 1
        v[SeriesKey(names.sum, [wf])] = value
        v[SeriesKey(names.count, [wf])] = 1
    }

    /// A histogram's series names and bucket labels, built once: every touched run observes three
    /// histograms at each commit, and building these strings per bucket showed in replay's profile.
    private struct HistogramNames: Sendable {
        var bucket: String, sum: String, count: String
        var bounds: [String]

        init(_ spec: MetricSpec) {
            bucket = spec.name + "_bucket"
            sum = spec.name + "_sum"
            count = spec.name + "_count"
            bounds = spec.buckets.map(Contribution.formatBound)
        }

        static let known: [String: HistogramNames] = Dictionary(
            uniqueKeysWithValues: [Metrics.runCost, Metrics.runTurns, Metrics.runDuration].map { ($0.name, .init($0)) })

        static func of(_ spec: MetricSpec) -> HistogramNames {
            if let n = known[spec.name], n.bounds.count == spec.buckets.count { return n }
            return HistogramNames(spec)
        }
    }

    /// Bucket bounds as Prometheus prints them (`0.5`, `1.0`, `+Inf`).
    public static func formatBound(_ x: Double) -> String {
        x == x.rounded() ? String(Int64(x)) + ".0" : String(x)
    }

    /// The metric a stored series belongs to (histogram parts map to their histogram).
    public static func spec(of key: SeriesKey) -> MetricSpec? {
        if let s = Metrics.spec(named: key.name) { return s }
        for suffix in ["_bucket", "_sum", "_count"] where key.name.hasSuffix(suffix) {
            if let s = Metrics.spec(named: String(key.name.dropLast(suffix.count))), s.type == .histogram { return s }
        }
        return nil
    }
}
