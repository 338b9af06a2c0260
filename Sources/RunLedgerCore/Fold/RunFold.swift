/// Folds what the correlator decided about each line, and effects from outside the log (the executor's
/// reports, stall marks), into run records, and hands out a batch at a time what changed
/// (`takeBatch`): the records, the alerts, the series delta, line counts, unattributed facts and the
/// log's latest time. No I/O: a run the batch has not touched yet comes from `lookup`.
///
/// This is the hot path of `replay` (every line goes through `add`), so it allocates nothing per line:
/// records are changed in place in `touched`, decisions are read by index, and the run of the last
/// decision is remembered (`lastSlot`).
public struct RunFold {
    /// The source the lines come from: names the `runledger_lines_total` series, the record's log lines
    /// and the unattributed facts.
    public let source: String
    public var detector: AlertDetector
    private let lookup: any RunLookup
    public private(set) var labels: FoldLabels

    /// Records touched since the last batch, in first-touch order; `touchedIndex` finds a run's slot.
    /// Changed in place in the array: copying one out and back in copied its arrays (tools, tool ids) on
    /// every effect. `stored` is the record as the lookup gave it, so that an unchanged run is neither
    /// rewritten nor re-counted.
    private var touched: [(record: RunRecord, stored: RunRecord?)] = []
    private var touchedIndex: [String: Int] = [:]
    private var lastSlot: (id: String, index: Int)?
    private var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
    /// The change of the ledger-derived series since the last batch, as numbers (see `SeriesTally`).
    private var delta = SeriesTally()
    /// Lines by result, indexed like `LineResult.allCases`: counted without a dictionary.
    private var lineCounts: [Int64] = Array(repeating: 0, count: LineResult.allCases.count)
    private var latestLineMs: Int64 = .min
    /// Lines folded since the last batch (callers commit every so many).
    public private(set) var linesInBatch = 0
    /// Where and why the last malformed line was rejected, kept in parts: formatting it for every
    /// malformed line showed in replay's profile.
    private var problem: (line: Int64, why: String?)?

    public init(source: String, lookup: any RunLookup, labels: FoldLabels, detector: AlertDetector = AlertDetector()) {
        self.source = source
        self.lookup = lookup
        self.labels = labels
        self.detector = detector
    }

    /// Where and why the last malformed line was rejected (for logs and `/healthz`); kept across batches.
    public var lastProblem: String? {
        problem.map { "\(source):\($0.line): \($0.why ?? "malformed")" }
    }

    /// Folds one line: its result, and what the correlator decided on reading it (`decisions`).
    /// Throws only what `lookup` throws.
    public mutating func add(
        _ result: LineResult, problem why: String?, decisions: ArraySlice<Attributed>, lineNumber: Int64
    ) throws {
        lineCounts[result.index] += 1
        linesInBatch += 1
        if result == .malformed { problem = (lineNumber, why) }
        // By index: `for d in` copied each decision (retaining its id and effects) before applying it.
        for k in decisions.indices { try add(decisions[k], line: lineNumber) }
    }

    /// Folds one effect that comes from outside the log (a report, a stall) into run `id`. A report
    /// for a run the lookup does not hold is skipped (`Effect.createsRun`); the stall watch only
    /// marks runs it read from the ledger.
    public mutating func add(_ effect: Effect, toRun id: String) throws {
        try add(.run(id: id, effects: [effect], timeMs: nil, attribution: .exact), line: 0)
    }

    /// Folds reports from outside the log (the executor's database or API) into the runs they name.
    public mutating func add(reports: [String: Report], source: String) throws {
        for (id, report) in reports { try add(.report(source: source, report), toRun: id) }
    }

    /// The record of run `id` as folded so far in this batch; nil when the batch has not touched it.
    public func record(_ id: String) -> RunRecord? { touchedIndex[id].map { touched[$0].record } }

    /// The records touched in this batch, in first-touch order, changed or not.
    public var records: [RunRecord] { touched.map(\.record) }

    private mutating func add(_ d: Attributed, line: Int64) throws {
        switch d {
        case .run(let id, let effects, let time, let how):
            if let time, time > latestLineMs { latestLineMs = time }
            guard let i = try slot(id, create: effects.contains(where: \.createsRun)) else { return }
            for e in effects { touched[i].record.apply(e, at: time, attribution: how) }
            // Where the run's own lines are: two integers per source, moved in place. A burst's facts
            // come with its end line's number, status polls and position-less decisions are not its lines.
            if line > 0, how != .ambiguous, effects.contains(where: \.isRunLine) {
                touched[i].record.noteLine(source, line)
            }
        case .markAmbiguous(let id):
            guard let i = try slot(id, create: true) else { return }
            touched[i].record.attribution = .ambiguous
        case .unattributed(let group):
            var pseudo = RunRecord(runId: "unknown")
            for f in group.facts { for e in f.effects { pseudo.apply(e, at: f.timeMs, attribution: .burst) } }
            delta.addUnattributed(pseudo, tools: &labels.tools)
            unattributed.append((source, line, group))
        }
    }

    /// The index in `touched` of run `id`, looked up (or created) on its first touch in the batch.
    private mutating func slot(_ id: String, create: Bool) throws -> Int? {
        // A closing burst hands over its facts one by one for the same run: comparing with the last
        // id (often the very same string) is cheaper than hashing a 36-byte id for each.
        if let last = lastSlot, last.id == id { return last.index }
        let i = try findSlot(id, create: create)
        if let i { lastSlot = (id, i) }
        return i
    }

    private mutating func findSlot(_ id: String, create: Bool) throws -> Int? {
        if let i = touchedIndex[id] { return i }
        let existing = try lookup.run(id)
        guard let r = existing ?? (create ? RunRecord(runId: id) : nil) else { return nil }
        // Its contribution before the batch is subtracted in `takeBatch`; its tools are labelled now, as
        // when that contribution was computed, so the labeler admits tools in the same order.
        if let existing { SeriesTally.admitTools(of: existing, tools: &labels.tools) }
        touched.append((r, existing))
        touchedIndex[id] = touched.count - 1
        return touched.count - 1
    }

    /// Everything folded since the last batch, and starts the next one. The next batch looks runs up
    /// again: the caller commits this one before (or instead of) folding more, so the lookup sees it.
    public mutating func takeBatch() -> FoldedBatch {
        var out = FoldedBatch()
        for i in touched.indices { label(i) }
        for t in touched where t.record != t.stored {
            out.runs.append(t.record)
            out.stored.append(t.stored)
            out.alerts += detector.alerts(before: t.stored, after: t.record, at: t.record.endedAtMs)
            delta.add(t.record, sign: 1, tools: &labels.tools)
            if let stored = t.stored { delta.add(stored, sign: -1, tools: &labels.tools) }
        }
        for (result, n) in zip(LineResult.allCases, lineCounts) where n != 0 {
            delta.add(SeriesKey(Metrics.lines.name, [source, result.rawValue]), n)
            out.lineCounts[result] = n
        }
        out.delta = delta.values
        out.unattributed = unattributed
        out.latestTimeMs = latestLineMs > .min ? latestLineMs : nil
        touched.removeAll(keepingCapacity: true)
        touchedIndex.removeAll(keepingCapacity: true)
        lastSlot = nil
        unattributed.removeAll()
        delta.removeAll()
        for i in lineCounts.indices { lineCounts[i] = 0 }
        latestLineMs = .min
        linesInBatch = 0
        return out
    }

    /// Decides the run's `workflow` label where its workflow was set or changed here; a report or a stall
    /// (which never change it) keeps the label the log's reader decided, so every writer counts it alike.
    private mutating func label(_ i: Int) {
        let r = touched[i].record, stored = touched[i].stored
        guard r.workflowSettled else { return }
        if let s = stored, s.workflow == r.workflow, s.workflowSettled { return }
        let folded = labels.workflows.label(r.workflowName)
        if folded != nil, stored?.workflowLabel == nil {
            delta.add(SeriesKey(Metrics.labelsFolded.name, ["workflow"]), 1)
        }
        touched[i].record.workflowLabel = folded
    }
}

extension LineResult {
    /// The position in `allCases`, for counting without a dictionary.
    fileprivate var index: Int {
        switch self {
        case .matched: 0
        case .ignored: 1
        case .malformed: 2
        }
    }
}
