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

    /// Records touched since the last commit, in first-touch order, with their contribution before
    /// the batch; `touchedIndex` finds a run's slot. Records are changed in place in the array: copying
    /// one out and back in copied its arrays (tools, tool ids) on every effect.
    /// `stored` is the record as the ledger held it: a run whose lines changed nothing (a status poll
    /// while it runs, the same report again) is neither rewritten nor re-counted at commit.
    private var touched: [(record: RunRecord, stored: RunRecord?, before: SeriesValues)] = []
    private var touchedIndex: [String: Int] = [:]
    private var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
    private var delta: SeriesValues = [:]
    private var lineCounts: [LineResult: Int64] = [:]
    private var decisions: [Attributed] = []
    public private(set) var linesSinceCommit = 0
    private let alerting: Alerting
    /// The latest line time of this batch, for the log clock (stall detection).
    private var latestLineMs: Int64 = .min
    /// Held from the batch's first read of a run to its commit (see `Ledger.writer`).
    private var holdsWriter = false
    /// Where and why the last malformed line was rejected, for logs and `/healthz`.
    public private(set) var lastProblem: String?

    public init(
        source: String, ledger: Ledger, profile: Profile, envelopes: EnvelopeParser, maxLineBytes: Int,
        correlator state: CorrelatorState, fileRun: String? = nil, toolCap: Int = 64, alerting: Alerting = Alerting()
    ) throws {
        self.alerting = alerting
        self.source = source
        self.ledger = ledger
        self.extractor = try Extractor(profile: profile, envelopes: envelopes, maxLineBytes: maxLineBytes)
        self.correlator = Correlator(profile: profile, state: state, fileRun: fileRun)
        let admitted = try ledger.rollups().keys.filter { $0.name == Metrics.toolUses.name }.compactMap(\.labels.last)
        self.labeler = ToolLabeler(cap: toolCap, admitted: Set(admitted.filter { $0 != "other" }))
    }

    public var correlatorState: CorrelatorState { correlator.state }

    /// Processes one complete line (without its newline). Never throws for bad input.
    /// `fallbackTimeMs` dates lines whose envelope has no time (a journal entry's own timestamp).
    public func process(_ line: Bytes, lineNumber: Int64, fallbackTimeMs: Int64? = nil) throws {
        var x = extractor.extract(line)
        if x.timeMs == nil { x.timeMs = fallbackTimeMs }
        if let t = x.timeMs, t > latestLineMs { latestLineMs = t }
        lineCounts[x.result, default: 0] += 1
        linesSinceCommit += 1
        if x.result == .malformed { lastProblem = "\(source):\(lineNumber): \(x.problem ?? "malformed")" }
        decisions.removeAll(keepingCapacity: true)
        correlator.process(x, into: &decisions)
        for d in decisions { try apply(d, line: lineNumber) }
    }

    private func apply(_ d: Attributed, line: Int64) throws {
        switch d {
        case .run(let id, let effects, let time, let how):
            guard let i = try slot(id, create: effects.contains(where: \.createsRun)) else { return }
            for e in effects { touched[i].record.apply(e, at: time, attribution: how) }
        case .markAmbiguous(let id):
            guard let i = try slot(id, create: true) else { return }
            touched[i].record.attribution = .ambiguous
        case .unattributed(let group):
            var pseudo = RunRecord(runId: "unknown")
            for f in group.facts { for e in f.effects { pseudo.apply(e, at: f.timeMs, attribution: .burst) } }
            delta.add(Contribution.ofUnattributed(pseudo, tools: &labeler))
            unattributed.append((source, line, group))
        }
    }

    /// The index in `touched` of run `id`, read from the ledger (or created) on its first touch.
    private func slot(_ id: String, create: Bool) throws -> Int? {
        if let i = touchedIndex[id] { return i }
        if !holdsWriter {
            ledger.writer.lock()
            holdsWriter = true
        }
        let existing = try ledger.run(id)
        guard let r = existing ?? (create ? RunRecord(runId: id) : nil) else { return nil }
        let before = existing.map { Contribution.of($0, tools: &labeler) } ?? [:]
        touched.append((r, existing, before))
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
    public func commit(identity: String, offset: Int64, lines: Int64) throws -> SeriesValues {
        try commit(
            position: SourcePosition(
                source: source, identity: identity, offset: offset, lines: lines, correlator: correlator.state))
    }

    private func commit(position: SourcePosition?) throws -> SeriesValues {
        defer { releaseWriter() }
        var batch = LedgerBatch()
        for t in touched where t.record != t.stored {
            batch.runs.append(t.record)
            batch.alerts += alerting.detector.alerts(before: t.stored, after: t.record, at: t.record.endedAtMs)
            delta.add(Contribution.of(t.record, tools: &labeler))
            delta.add(t.before, sign: -1)
        }
        for (result, n) in lineCounts {
            delta[SeriesKey(Metrics.lines.name, [source, result.rawValue]), default: 0] += n
        }
        batch.rollupDelta = delta.filter { $0.value != 0 }
        batch.routes = alerting.routes
        batch.unattributed = unattributed
        batch.position = position
        try ledger.commit(batch)
        if latestLineMs > .min { alerting.clock.advance(to: latestLineMs) }
        latestLineMs = .min
        let applied = batch.rollupDelta
        touched.removeAll(keepingCapacity: true)
        touchedIndex.removeAll(keepingCapacity: true)
        unattributed.removeAll()
        delta.removeAll(keepingCapacity: true)
        lineCounts.removeAll()
        linesSinceCommit = 0
        return applied
    }

    private func releaseWriter() {
        if holdsWriter {
            holdsWriter = false
            ledger.writer.unlock()
        }
    }

    deinit { releaseWriter() }
}
