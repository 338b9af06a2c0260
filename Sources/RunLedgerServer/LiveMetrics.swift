import Foundation
import Prometheus
import RunLedgerCore
import Synchronization

/// The metrics `/metrics` shows: counters and gauges on one `PrometheusCollectorRegistry` (with help
/// text), rebuilt from the ledger's rollups at start and moved by each commit's change, so they never
/// reset on restart and always equal the ledger's sums.
///
/// Histograms are rendered here rather than by swift-prometheus: its histograms can only `record`,
/// and a run's observation must move when the run changes (its workflow is often named just after it
/// ends) and be rebuilt exactly from stored bucket counts on restart.
public final class LiveMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let state: Mutex<State>
    private let outboxPending: Gauge
    private let ledgerUp: Gauge

    /// Everything a commit, a scrape or a source moves, behind one lock.
    private struct State {
        /// Exact integer values of every ledger-derived series (stored units).
        var values: SeriesValues = [:]
        var counters: [SeriesKey: Counter] = [:]
        var gauges: [SeriesKey: Gauge] = [:]
        var reportErrors: [String: Counter] = [:]
        /// The histograms' exposition, kept until a commit changes the ledger's values: building it looks
        /// up some 5,000 series at 10k series, a fifth of a scrape, and histograms change only in `apply`.
        var histogramText: String?
        /// The series exported at 0 before they first move (`ZeroSeries`); grows as commits name new
        /// workflows.
        var zeroSeries: SeriesValues
        /// The workflows whose series are all in `zeroSeries`.
        var zeroWorkflows: Set<String>

        /// Exports at 0 every series of a workflow `values` names for the first time: the first commit
        /// that names a workflow (a run's start, often) makes its false-failure and mismatch counters, so
        /// that their first event is a change from 0.
        mutating func addZeroSeries(forWorkflowsIn values: SeriesValues, _ registry: PrometheusCollectorRegistry) {
            for key in values.keys {
                guard let wf = ZeroSeries.workflow(of: key), !zeroWorkflows.contains(wf) else { continue }
                zeroWorkflows.insert(wf)
                for zero in ZeroSeries.workflow(wf) {
                    zeroSeries[zero] = 0
                    if self.values[zero] == nil { set(zero, 0, registry) }
                }
            }
        }

        mutating func reportErrorCounter(_ source: String, _ registry: PrometheusCollectorRegistry) -> Counter {
            if let c = reportErrors[source] { return c }
            let c = registry.makeCounter(
                descriptor: .whole(Metrics.reportErrors.name, Metrics.reportErrors.help), labels: [("source", source)])
            reportErrors[source] = c
            return c
        }

        /// The gauge of `spec` with these label values, made on first use.
        mutating func gauge(_ spec: MetricSpec, _ values: [String], _ registry: PrometheusCollectorRegistry) -> Gauge {
            let key = SeriesKey(spec.name, values)
            if let g = gauges[key] { return g }
            let g = registry.makeGauge(
                descriptor: .whole(spec.name, spec.help), labels: Array(zip(spec.labels, values)))
            gauges[key] = g
            return g
        }

        mutating func set(_ key: SeriesKey, _ value: Int64, _ registry: PrometheusCollectorRegistry) {
            values[key] = value
            guard let spec = Contribution.spec(of: key), spec.type != .histogram else { return }
            let labels = Array(zip(spec.labels, key.labels))
            let shown = Double(value) / spec.divisor
            switch spec.type {
            case .gauge:
                gauge(spec, key.labels, registry).set(shown)
            case .counter:
                // A counter cannot be set; re-create it at the exact total (the ledger is the truth).
                if let old = counters[key] { registry.unregisterCounter(old) }
                let c = registry.makeCounter(descriptor: .whole(spec.name, spec.help), labels: labels)
                // swift-prometheus traps on a negative increment; a ledger total is never below 0.
                if spec.divisor == 1 { c.increment(by: max(0, value)) } else if shown > 0 { c.increment(by: shown) }
                counters[key] = c
            case .histogram:
                break
            }
        }
    }

    /// - Parameters:
    ///   - rollups: the ledger's sums by series.
    ///   - workflows: workflows exported at 0 from the first scrape, besides those the rollups name.
    ///   - sources: sources exported at 0 on `runledger_lines_total` from the first scrape.
    ///   - sinks: the configured sinks, exported at 0 on `runledger_alerts_total` from the first scrape.
    public init(
        rollups: SeriesValues, workflows: [String], sources: [String], sinks: [AlertRoute] = [], build: BuildInfo
    ) {
        let zeroSeries = ZeroSeries.initial(workflows: workflows, rollups: rollups, sources: sources, sinks: sinks)
        var s = State(zeroSeries: zeroSeries, zeroWorkflows: ZeroSeries.workflows(in: zeroSeries))
        var initial = zeroSeries
        initial.add(rollups)
        for (key, value) in initial { s.set(key, value, registry) }
        state = Mutex(s)
        registry.makeGauge(
            descriptor: .whole(Metrics.buildInfo.name, Metrics.buildInfo.help), labels: build.metricLabels
        )
        .set(1.0)
        outboxPending = registry.makeGauge(descriptor: .whole(Metrics.outboxPending.name, Metrics.outboxPending.help))
        outboxPending.set(0.0)
        ledgerUp = registry.makeGauge(descriptor: .whole(Metrics.ledgerUp.name, Metrics.ledgerUp.help))
        ledgerUp.set(1.0)
    }

    /// Sets every ledger-derived series to the ledger's sums again (after a commit failed part-way, the
    /// changes of the commits before it were not reported).
    public func reset(rollups: SeriesValues) {
        state.withLock { s in
            s.histogramText = nil
            s.addZeroSeries(forWorkflowsIn: rollups, registry)
            var exact = s.zeroSeries
            exact.add(rollups)
            for key in s.values.keys where exact[key] == nil { exact[key] = 0 }
            for (key, value) in exact where s.values[key] != value { s.set(key, value, registry) }
        }
    }

    /// Applies the change of one commit.
    public func apply(_ delta: SeriesValues) {
        guard !delta.isEmpty else { return }
        state.withLock { s in
            s.histogramText = nil
            s.addZeroSeries(forWorkflowsIn: delta, registry)
            for (key, d) in delta where d != 0 {
                s.set(key, (s.values[key] ?? 0).saturatingAdd(d), registry)
            }
        }
    }

    /// Deliveries waiting in the outbox (pending, for configured sinks).
    public func setOutboxPending(_ n: Int) { outboxPending.set(Double(n)) }

    /// Whether the ledger takes commits (`LedgerAvailability`).
    public func setLedgerUp(_ up: Bool) { ledgerUp.set(up ? 1.0 : 0.0) }

    public func setSourceLag(_ source: String, bytes: Int64) {
        state.withLock { $0.gauge(Metrics.sourceLag, [source], registry).set(Double(max(0, bytes))) }
    }

    public func setSourceUp(_ source: String, _ up: Bool) {
        state.withLock { $0.gauge(Metrics.sourceUp, [source], registry).set(up ? 1.0 : 0.0) }
    }

    /// Exports at 0 the series of a source or sink a reload added (as `init` does for those at start).
    public func exportAtZero(sources: [String] = [], sinks: [AlertRoute] = []) {
        state.withLock { s in
            for key in sources.flatMap(ZeroSeries.source) + sinks.flatMap(ZeroSeries.sink) where s.values[key] == nil {
                s.zeroSeries[key] = 0
                s.set(key, 0, registry)
            }
        }
    }

    /// Stops exporting the up and lag gauges of a source a reload removed: a source no longer followed
    /// is not down. Its counters stay (the ledger keeps its lines).
    public func removeSource(_ source: String) {
        state.withLock { s in
            for spec in [Metrics.sourceUp, Metrics.sourceLag] {
                if let g = s.gauges.removeValue(forKey: SeriesKey(spec.name, [source])) { registry.unregisterGauge(g) }
            }
        }
    }

    /// Exports `runledger_report_errors_total{source}` at 0 for a configured report source. Not in the
    /// ledger: a failed poll changes nothing there, so this counter starts at 0 with the process.
    public func addReportSource(_ source: String) { state.withLock { _ = $0.reportErrorCounter(source, registry) } }

    public func countReportError(_ source: String) {
        state.withLock { $0.reportErrorCounter(source, registry).increment(by: Int64(1)) }
    }

    /// The current value of a series in exposition units (for tests and the landing page).
    public func value(_ key: SeriesKey) -> Double? {
        state.withLock { s in
            guard let v = s.values[key], let spec = Contribution.spec(of: key) else { return nil }
            return Double(v) / (key.name.hasSuffix("_bucket") || key.name.hasSuffix("_count") ? 1 : spec.divisor)
        }
    }

    /// The exposition in the given format (see `ExpositionFormat`).
    public func render(_ format: ExpositionFormat) -> String {
        switch format {
        case .text: render()
        case .openMetrics: OpenMetrics.render(fromText: render())
        }
    }

    /// Text exposition format 0.0.4. Rendered on every scrape (not cached: `registry` is public, and
    /// a metric set on it directly must show at once).
    public func render() -> String {
        state.withLock { s in
            let histograms =
                s.histogramText
                ?? [Metrics.runCost, Metrics.runTurns, Metrics.runDuration].map {
                    Exposition.histogram($0, s.values)
                }.joined()
            s.histogramText = histograms
            return Exposition.sorted(registry.emitToString()) + histograms
        }
    }
}

extension MetricNameDescriptor {
    /// A metric named in full by the catalog (`agent_workflow_runs_started_total`): no namespace or unit
    /// parts to join, so the name is the catalog's, byte for byte.
    static func whole(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

/// Rendering the parts of the exposition that swift-prometheus does not produce.
enum Exposition {
    static func histogram(_ spec: MetricSpec, _ values: SeriesValues) -> String {
        // Names and bounds are built once per render, not once per series (10k series: every
        // string built per line showed in the profile).
        let bucketName = spec.name + "_bucket", sumName = spec.name + "_sum", countName = spec.name + "_count"
        let workflows = Set(values.keys.lazy.filter { $0.name == countName }.compactMap(\.labels.first)).sorted()
        guard !workflows.isEmpty else { return "" }
        var out = "# HELP \(spec.name) \(spec.help)\n# TYPE \(spec.name) histogram\n"
        let bounds = spec.buckets.map(Contribution.formatBound) + ["+Inf"]
        let bucketLead = bucketName + "{workflow=\""
        let boundLeads = bounds.map { "\",le=\"\($0)\"} " }
        for wf in workflows {
            let label = escape(wf)
            for (b, lead) in zip(bounds, boundLeads) {
                out += bucketLead
                out += label
                out += lead
                out += String(values[SeriesKey(bucketName, [wf, b])] ?? 0)
                out += "\n"
            }
            let sum = Double(values[SeriesKey(sumName, [wf])] ?? 0) / spec.divisor
            out += "\(sumName){workflow=\"\(label)\"} \(number(sum))\n"
            out += "\(countName){workflow=\"\(label)\"} \(values[SeriesKey(countName, [wf])] ?? 0)\n"
        }
        return out
    }

    /// The registry's output with families sorted by name and samples by labels, so that the same
    /// ledger always renders the same text (the registry keeps its series in hash order).
    static func sorted(_ text: String) -> String {
        // Works on the UTF-8 bytes, comparing lines with memcmp: with 10k series, splitting and
        // comparing `String`s was most of a render. Byte order is the order of Unicode scalars.
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buf -> String in
            let base = buf.baseAddress!
            typealias Line = (start: Int, count: Int)
            var families: [(name: Line, header: [Line], samples: [Line])] = []
            func equal(_ a: Line, _ b: Line) -> Bool {
                a.count == b.count && memcmp(base + a.start, base + b.start, a.count) == 0
            }
            func less(_ a: Line, _ b: Line) -> Bool {
                let c = memcmp(base + a.start, base + b.start, min(a.count, b.count))
                return c != 0 ? c < 0 : a.count < b.count
            }
            var i = 0
            let n = buf.count
            while i < n {
                var j = i
                while j < n, base[j] != 0x0A { j += 1 }
                let line: Line = (i, j - i)
                i = j + 1
                if line.count == 0 { continue }
                if line.count > 7, base[line.start] == UInt8(ascii: "#"),
                    memcmp(base + line.start, "# HELP ", 7) == 0 || memcmp(base + line.start, "# TYPE ", 7) == 0
                {
                    var k = line.start + 7
                    while k < line.start + line.count, base[k] != UInt8(ascii: " ") { k += 1 }
                    let name: Line = (line.start + 7, k - line.start - 7)
                    if let last = families.last, equal(last.name, name), last.samples.isEmpty {
                    } else {
                        families.append((name, [], []))
                    }
                    families[families.count - 1].header.append(line)
                } else if !families.isEmpty {
                    families[families.count - 1].samples.append(line)
                }
            }
            families.sort { less($0.name, $1.name) }
            var out: [UInt8] = []
            out.reserveCapacity(n + 1)
            func emit(_ l: Line) {
                out.append(contentsOf: UnsafeBufferPointer(start: base + l.start, count: l.count))
                out.append(0x0A)
            }
            for f in families {
                for h in f.header { emit(h) }
                for s in f.samples.sorted(by: less) { emit(s) }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }) else {
            return s
        }
        return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
