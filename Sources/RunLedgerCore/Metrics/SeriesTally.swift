/// Ledger-derived series changes, summed as plain numbers in fixed slots per workflow (and a small map
/// for tool uses), turned into `SeriesValues` once per commit.
///
/// It adds exactly what `Contribution.of` / `ofUnattributed` would add, series by series, but without
/// building a `SeriesKey` (a `String` and a `[String]`) and hashing it for every series of every run
/// touched: that was about a sixth of `replay` (BENCHMARKS.md).
public struct SeriesTally {
    /// Slot offsets within one workflow's block; the histograms follow the fixed ones.
    private enum Slot {
        static let active = 0, started = 1, finished = 2  // + index in RunStatus.terminal
        static let cost = 5, turns = 6, tokens = 7  // + index in Metrics.tokenKinds
        static let taskgroup = tokens + Metrics.tokenKinds.count, falseFailure = taskgroup + 1
        static let mismatch = falseFailure + 1  // + index in Metrics.mismatchFields
        static let histograms = mismatch + Metrics.mismatchFields.count
    }

    private static let histogramSpecs = [Metrics.runCost, Metrics.runTurns, Metrics.runDuration]
    /// Where each histogram's block starts: its buckets, `+Inf`, `_sum`, `_count`.
    private static let histogramBase: [Int] = {
        var bases: [Int] = [], next = Slot.histograms
        for spec in histogramSpecs {
            bases.append(next)
            next += spec.buckets.count + 3
        }
        return bases
    }()
    private static let slotsPerWorkflow = histogramBase.last! + histogramSpecs.last!.buckets.count + 3

    /// `TokenCounts.byKind` and `Metrics.tokenKinds` list the kinds in different orders.
    private static let tokenSlot: [Int] = TokenCounts().byKind.map { Metrics.tokenKinds.firstIndex(of: $0.kind)! }

    private struct ToolKey: Hashable {
        var workflow: Int
        var tool: String
    }

    private var workflowIndex: [String: Int] = [:]
    private var workflowNames: [String] = []
    private var slots: [Int64] = []
    private var toolUses: [ToolKey: Int64] = [:]
    /// Anything else added by key (line counts).
    private var loose: SeriesValues = [:]

    public init() {}

    /// Adds `sign` times the contribution of run `r` (what `Contribution.of` returns).
    public mutating func add(_ r: RunRecord, sign: Int64, tools labeler: inout ToolLabeler) {
        let status = r.currentStatus
        let settled = r.workflowSettled
        guard status == .running || settled else { return }
        let base = block(r.metricsWorkflow)
        if status == .running { slots[base + Slot.active] += sign }
        // Rare (a run quiet for the stall threshold): by key, not worth a slot in every block.
        if r.isStalled { loose[SeriesKey(Metrics.runsStalled.name, [r.metricsWorkflow]), default: 0] += sign }
        guard settled else { return }
        slots[base + Slot.started] += sign
        if let i = RunStatus.terminal.firstIndex(of: status) { slots[base + Slot.finished + i] += sign }
        addMetrics(r, base: base, sign: sign, tools: &labeler)
        if r.taskgroupError { slots[base + Slot.taskgroup] += sign }
        if r.falseFailure { slots[base + Slot.falseFailure] += sign }
        if !r.mismatch.isEmpty {
            for field in r.mismatchFields {
                if let i = Metrics.mismatchFields.firstIndex(of: field) {
                    slots[base + Slot.mismatch + i] += sign
                } else {
                    loose[SeriesKey(Metrics.mismatches.name, [r.metricsWorkflow, field]), default: 0] += sign
                }
            }
        }
        if status.isTerminal {
            observe(0, base, r.cost, sign)
            observe(1, base, r.turnCount, sign)
            if let d = r.durationMs { observe(2, base, d, sign) }
        }
    }

    /// Adds what `Contribution.ofUnattributed` returns for an unattributed group folded into `r`.
    public mutating func addUnattributed(_ r: RunRecord, tools labeler: inout ToolLabeler) {
        let base = block("unknown")
        addMetrics(r, base: base, sign: 1, tools: &labeler)
        if r.taskgroupError { slots[base + Slot.taskgroup] += 1 }
    }

    public mutating func add(_ key: SeriesKey, _ value: Int64) { loose[key] = (loose[key] ?? 0).saturatingAdd(value) }

    @inline(__always)
    private mutating func add(_ slot: Int, _ value: Int64) { slots[slot] = slots[slot].saturatingAdd(value) }

    /// The labels `Contribution.of(r)` gives `r`'s tools, asked for now: the labeler admits tools in the
    /// order it is first asked, so callers that add `r` later ask here first to keep that order.
    public static func admitTools(of r: RunRecord, tools labeler: inout ToolLabeler) {
        guard r.workflowSettled else { return }
        for tool in r.tools { _ = labeler.label(tool.name) }
    }

    private mutating func addMetrics(_ r: RunRecord, base: Int, sign: Int64, tools labeler: inout ToolLabeler) {
        // Values saturate (`ValueLimits`); counts of runs (±1 each) cannot come near overflowing.
        add(base + Slot.cost, r.cost * sign)
        add(base + Slot.turns, r.turnCount * sign)
        for (j, part) in r.tokens.byKind.enumerated() where part.value != 0 {
            add(base + Slot.tokens + Self.tokenSlot[j], part.value * sign)
        }
        guard !r.tools.isEmpty else { return }
        let wf = base / Self.slotsPerWorkflow
        for tool in r.tools {
            let key = ToolKey(workflow: wf, tool: labeler.label(tool.name))
            toolUses[key] = (toolUses[key] ?? 0).saturatingAdd(tool.uses * sign)
        }
    }

    private mutating func observe(_ h: Int, _ base: Int, _ value: Int64, _ sign: Int64) {
        let spec = Self.histogramSpecs[h]
        let at = base + Self.histogramBase[h]
        let x = Double(value) / spec.divisor
        let n = spec.buckets.count
        for k in 0..<n where x <= spec.buckets[k] { slots[at + k] += sign }
        slots[at + n] += sign
        add(at + n + 1, value * sign)
        slots[at + n + 2] += sign
    }

    /// The first slot of `workflow`'s block, made on first use.
    private mutating func block(_ workflow: String) -> Int {
        if let i = workflowIndex[workflow] { return i * Self.slotsPerWorkflow }
        let i = workflowNames.count
        workflowIndex[workflow] = i
        workflowNames.append(workflow)
        slots.append(contentsOf: repeatElement(0, count: Self.slotsPerWorkflow))
        return i * Self.slotsPerWorkflow
    }

    /// Every series that moved, with its change (series whose changes cancelled out are left out).
    public var values: SeriesValues {
        var out: SeriesValues = loose.filter { $0.value != 0 }
        for (i, wf) in workflowNames.enumerated() {
            let base = i * Self.slotsPerWorkflow
            for s in 0..<Self.slotsPerWorkflow where slots[base + s] != 0 {
                let key = Self.key(s, wf)
                out[key] = (out[key] ?? 0).saturatingAdd(slots[base + s])
            }
        }
        for (k, v) in toolUses where v != 0 {
            let key = SeriesKey(Metrics.toolUses.name, [workflowNames[k.workflow], k.tool])
            out[key] = (out[key] ?? 0).saturatingAdd(v)
        }
        return out.filter { $0.value != 0 }
    }

    /// Starts over (keeps the workflows' blocks and capacity).
    public mutating func removeAll() {
        for i in slots.indices { slots[i] = 0 }
        toolUses.removeAll(keepingCapacity: true)
        loose.removeAll(keepingCapacity: true)
    }

    /// The series a slot stands for.
    private static func key(_ s: Int, _ wf: String) -> SeriesKey {
        switch s {
        case Slot.active: return SeriesKey(Metrics.runsActive.name, [wf])
        case Slot.started: return SeriesKey(Metrics.runsStarted.name, [wf])
        case Slot.finished..<Slot.cost:
            return SeriesKey(Metrics.runsFinished.name, [wf, RunStatus.terminal[s - Slot.finished].rawValue])
        case Slot.cost: return SeriesKey(Metrics.cost.name, [wf])
        case Slot.turns: return SeriesKey(Metrics.turns.name, [wf])
        case Slot.tokens..<Slot.taskgroup:
            return SeriesKey(Metrics.tokens.name, [wf, Metrics.tokenKinds[s - Slot.tokens]])
        case Slot.taskgroup: return SeriesKey(Metrics.taskgroupErrors.name, [wf])
        case Slot.falseFailure: return SeriesKey(Metrics.falseFailures.name, [wf])
        case Slot.mismatch..<Slot.histograms:
            return SeriesKey(Metrics.mismatches.name, [wf, Metrics.mismatchFields[s - Slot.mismatch]])
        default:
            var h = histogramBase.count - 1
            while histogramBase[h] > s { h -= 1 }
            let spec = histogramSpecs[h], k = s - histogramBase[h], n = spec.buckets.count
            if k < n { return SeriesKey(spec.name + "_bucket", [wf, Contribution.formatBound(spec.buckets[k])]) }
            if k == n { return SeriesKey(spec.name + "_bucket", [wf, "+Inf"]) }
            return SeriesKey(spec.name + (k == n + 1 ? "_sum" : "_count"), [wf])
        }
    }
}
