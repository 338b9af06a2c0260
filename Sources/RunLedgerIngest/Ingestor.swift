import RunLedgerCore
import RunLedgerStore

/// Extract -> correlate -> fold (`RunFold`), for one source. Changes accumulate in the fold until
/// `commit`, which writes them with the source position in one transaction and returns the change
/// of every ledger-derived series (for the live `/metrics`).
public final class Ingestor {
    public let source: String
    public var ledger: any LedgerStore { writer.ledger }
    private let extractor: Extractor
    private let correlator: Correlator
    private let writer: LedgerFold
    private var decisions: [Attributed] = []
    public var linesSinceCommit: Int { writer.fold.linesInBatch }
    /// Where and why the last malformed line was rejected, for logs and `/healthz`.
    public var lastProblem: String? { writer.fold.lastProblem }

    public init(
        source: String, ledger: any LedgerStore, profile: Profile, envelopes: EnvelopeParser, maxLineBytes: Int,
        correlator state: CorrelatorState, fileRun: String? = nil, toolCap: Int = 64, workflowCap: Int = 64,
        knownWorkflows: [String] = [], alerting: Alerting = Alerting()
    ) throws {
        self.source = source
        self.extractor = try Extractor(profile: profile, envelopes: envelopes, maxLineBytes: maxLineBytes)
        self.correlator = Correlator(profile: profile, state: state, fileRun: fileRun)
        writer = try LedgerFold(
            source: source, ledger: ledger, knownWorkflows: profile.knownWorkflows + knownWorkflows, toolCap: toolCap,
            workflowCap: workflowCap, alerting: alerting)
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
        try writer.fold.add(result, problem: why, decisions: decisions, lineNumber: lineNumber)
    }

    /// Folds reports from outside the log (the executor's database or API) into the runs they name;
    /// runs the ledger does not hold are skipped. Commit with `commitReports()`.
    public func apply(reports: [String: Report], source: String) throws {
        try writer.fold.add(reports: reports, source: source)
    }

    /// Folds one effect that comes from outside the log (a report, a stall) into run `id`, if the
    /// ledger holds it. Commit with `commitReports()`.
    public func apply(_ effect: Effect, toRun id: String) throws { try writer.fold.add(effect, toRun: id) }

    /// Commits what `apply(reports:source:)` or `apply(_:toRun:)` changed, without moving any source position.
    @discardableResult
    public func commitReports() throws -> SeriesValues { try writer.commit(position: nil) }

    /// Writes everything since the last commit together with `position`; returns the series change.
    @discardableResult
    /// `correlator`: the correlator's state after the last line applied, when a reader thread runs the
    /// correlator ahead (`correlate`); by default its current state.
    public func commit(
        identity: String, offset: Int64, lines: Int64, correlator state: CorrelatorState? = nil
    ) throws -> SeriesValues {
        try writer.commit(
            position: SourcePosition(
                source: source, identity: identity, offset: offset, lines: lines,
                correlator: state ?? correlator.state))
    }
}
