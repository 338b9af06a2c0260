import RunLedgerCore
import RunLedgerStore

/// Extract -> correlate -> fold into run records, for one source. Changes accumulate until
/// `commit`, which writes them with the source position in one transaction and returns the change
/// of every ledger-derived series (for the live `/metrics`).
public final class Ingestor {
    public let source: String
    public let ledger: Ledger
    private let extractor: Extractor
    private let correlator: Correlator
    private var labeler: ToolLabeler
    private var workflows: WorkflowLabeler

    /// Records touched since the last commit, in first-touch order; `touchedIndex` finds a run's slot. Records are changed in place in the array: copying
    /// one out and back in copied its arrays (tools, tool ids) on every effect.
    /// `stored` is the record as the ledger held it: a run whose lines changed nothing (a status poll
    /// while it runs, the same report again) is neither rewritten nor re-counted at commit.
    private var touched: [(record: RunRecord, stored: RunRecord?)] = []
    private var touchedIndex: [String: Int] = [:]
    private var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
    /// The change of the ledger-derived series since the last commit, as numbers (see `SeriesTally`).
    private var delta = SeriesTally()
    /// Lines by result, indexed like `LineResult.allCases`.
    private var lineCounts: [Int64] = Array(repeating: 0, count: LineResult.allCases.count)
    private var decisions: [Attributed] = []
    public private(set) var linesSinceCommit = 0
    private let alerting: Alerting
    /// The latest time of a fact in this batch, for the log clock (stall detection).
    private var latestLineMs: Int64 = .min
    /// Held from the batch's first read of a run to its commit (see `Ledger.writer`).
    private var holdsWriter = false
    /// Where and why the last malformed line was rejected, for logs and `/healthz`.
    public var lastProblem: String? {
        problem.map { "\(source):\($0.line): \($0.why ?? "malformed")" }
    }
    /// Kept in parts: formatting it for every malformed line showed in replay's profile.
    private var problem: (line: Int64, why: String?)?

    public init(
        source: String, ledger: Ledger, profile: Profile, envelopes: EnvelopeParser, maxLineBytes: Int,
        correlator state: CorrelatorState, fileRun: String? = nil, toolCap: Int = 64, workflowCap: Int = 64,
        knownWorkflows: [String] = [], alerting: Alerting = Alerting()
    ) throws {
        self.alerting = alerting
        self.source = source
        self.ledger = ledger
        self.extractor = try Extractor(profile: profile, envelopes: envelopes, maxLineBytes: maxLineBytes)
        self.correlator = Correlator(profile: profile, state: state, fileRun: fileRun)
        let rollups = try ledger.rollups().keys
        let admitted = rollups.filter { $0.name == Metrics.toolUses.name }.compactMap(\.labels.last)
        self.labeler = ToolLabeler(cap: toolCap, admitted: Set(admitted.filter { $0 != "other" }))
        let seen = rollups.filter { $0.name == Metrics.runsStarted.name }.compactMap(\.labels.first)
        self.workflows = WorkflowLabeler(
            cap: workflowCap, always: Set(profile.knownWorkflows + knownWorkflows), admitted: Set(seen))
    }

    public var correlatorState: CorrelatorState { correlator.state }

    /// Processes one complete line (without its newline). Never throws for bad input.
    /// `fallbackTimeMs` dates lines whose envelope has no time (a journal entry's own timestamp).
    public func process(_ line: Bytes, lineNumber: Int64, fallbackTimeMs: Int64? = nil) throws {
        try process(extractor.extract(line), lineNumber: lineNumber, fallbackTimeMs: fallbackTimeMs)
    }

    /// An extractor like this ingestor's, for a reader thread that extracts lines ahead of `process`.
    public func makeExtractor() throws -> Extractor {
        try Extractor(profile: extractor.profile, envelopes: extractor.envelopes, maxLineBytes: extractor.maxLineBytes)
    }

    /// Processes a line already extracted (by `makeExtractor()`'s extractor).
    public func process(_ extraction: Extraction, lineNumber: Int64, fallbackTimeMs: Int64? = nil) throws {
        if extraction.timeMs == nil, let fallbackTimeMs {
            var x = extraction
            x.timeMs = fallbackTimeMs
            return try process(x, lineNumber: lineNumber, fallbackTimeMs: nil)
        }
        // Borrowed, not copied: a copy retained and released each of its strings and arrays.
        let x = extraction
        decisions.removeAll(keepingCapacity: true)
        correlator.process(x, into: &decisions)
        try apply(x.result, problem: x.problem, decisions: decisions[...], lineNumber: lineNumber)
    }

    /// The correlator's part of `process`, for a reader thread that runs ahead of `apply`: while it
    /// does, nothing else may use this ingestor's correlator, and commits take the state it saved.
    public func correlate(_ extraction: Extraction, into out: inout [Attributed]) {
        correlator.process(extraction, into: &out)
    }

    /// The rest of `process`: counts the line and folds what `correlate` decided into the runs.
    public func apply(
        _ result: LineResult, problem why: String?, decisions: ArraySlice<Attributed>, lineNumber: Int64
    ) throws {
        lineCounts[result.index] += 1
        linesSinceCommit += 1
        if result == .malformed { problem = (lineNumber, why) }
        // By index: `for d in` copied each decision (retaining its id and effects) before applying it.
        for k in decisions.indices { try apply(decisions[k], line: lineNumber) }
    }

    private func apply(_ d: Attributed, line: Int64) throws {
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
            delta.addUnattributed(pseudo, tools: &labeler)
            unattributed.append((source, line, group))
        }
    }

    /// The index in `touched` of run `id`, read from the ledger (or created) on its first touch.
    private func slot(_ id: String, create: Bool) throws -> Int? {
        // A closing burst hands over its facts one by one for the same run: comparing with the last
        // id (often the very same string) is cheaper than hashing a 36-byte id for each.
        if let last = lastSlot, last.id == id { return last.index }
        let i = try findSlot(id, create: create)
        if let i { lastSlot = (id, i) }
        return i
    }

    private var lastSlot: (id: String, index: Int)?

    private func findSlot(_ id: String, create: Bool) throws -> Int? {
        if let i = touchedIndex[id] { return i }
        if !holdsWriter {
            ledger.writer.lock()
            holdsWriter = true
        }
        let existing = try ledger.run(id)
        guard let r = existing ?? (create ? RunRecord(runId: id) : nil) else { return nil }
        // Its contribution before the batch is subtracted at commit; its tools are labelled now, as
        // when that contribution was computed here, so the labeler admits tools in the same order.
        if let existing { SeriesTally.admitTools(of: existing, tools: &labeler) }
        touched.append((r, existing))
        touchedIndex[id] = touched.count - 1
        return touched.count - 1
    }

    /// Folds reports from outside the log (the executor's database or API) into the runs they name;
    /// runs the ledger does not hold are skipped. Commit with `commitReports()`.
    public func apply(reports: [String: Report], source: String) throws {
        for (id, report) in reports { try apply(.report(source: source, report), toRun: id) }
    }

    /// Folds one effect that comes from outside the log (a report, a stall) into run `id`, if the
    /// ledger holds it. Commit with `commitReports()`.
    public func apply(_ effect: Effect, toRun id: String) throws {
        try apply(.run(id: id, effects: [effect], timeMs: nil, attribution: .exact), line: 0)
    }

    /// Commits what `apply(reports:source:)` or `apply(_:toRun:)` changed, without moving any source position.
    @discardableResult
    public func commitReports() throws -> SeriesValues { try commit(position: nil) }

    /// Writes everything since the last commit together with `position`; returns the series change.
    @discardableResult
    /// `correlator`: the correlator's state after the last line applied, when a reader thread runs the
    /// correlator ahead (`correlate`); by default its current state.
    public func commit(
        identity: String, offset: Int64, lines: Int64, correlator state: CorrelatorState? = nil
    ) throws -> SeriesValues {
        try commit(
            position: SourcePosition(
                source: source, identity: identity, offset: offset, lines: lines,
                correlator: state ?? correlator.state))
    }

    private func commit(position: SourcePosition?) throws -> SeriesValues {
        defer { releaseWriter() }
        var batch = LedgerBatch()
        for i in touched.indices { label(&touched[i]) }
        for t in touched where t.record != t.stored {
            batch.runs.append(t.record)
            batch.alerts += alerting.detector.alerts(before: t.stored, after: t.record, at: t.record.endedAtMs)
            delta.add(t.record, sign: 1, tools: &labeler)
            if let stored = t.stored { delta.add(stored, sign: -1, tools: &labeler) }
        }
        for (result, n) in zip(LineResult.allCases, lineCounts) where n != 0 {
            delta.add(SeriesKey(Metrics.lines.name, [source, result.rawValue]), n)
        }
        batch.rollupDelta = delta.values
        batch.routes = alerting.routes
        batch.unattributed = unattributed
        batch.position = position
        try ledger.commit(batch)
        if latestLineMs > .min { alerting.clock.advance(to: latestLineMs) }
        latestLineMs = .min
        let applied = batch.rollupDelta
        touched.removeAll(keepingCapacity: true)
        touchedIndex.removeAll(keepingCapacity: true)
        lastSlot = nil
        unattributed.removeAll()
        delta.removeAll()
        for i in lineCounts.indices { lineCounts[i] = 0 }
        linesSinceCommit = 0
        return applied
    }

    /// Decides the run's `workflow` label where its workflow was set or changed here; a report or a stall
    /// (which never change it) keeps the label the log's reader decided, so every writer counts it alike.
    private func label(_ t: inout (record: RunRecord, stored: RunRecord?)) {
        let r = t.record
        guard r.workflowSettled else { return }
        if let s = t.stored, s.workflow == r.workflow, s.workflowSettled { return }
        let folded = workflows.label(r.workflowName)
        if folded != nil, t.stored?.workflowLabel == nil {
            delta.add(SeriesKey(Metrics.labelsFolded.name, ["workflow"]), 1)
        }
        t.record.workflowLabel = folded
    }

    private func releaseWriter() {
        if holdsWriter {
            holdsWriter = false
            ledger.writer.unlock()
        }
    }

    deinit { releaseWriter() }
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
