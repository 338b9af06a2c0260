import RunLedgerCore
import RunLedgerStore

/// Extract -> correlate -> fold (`RunFold`), for one source. Changes accumulate in the fold until
/// `commit`, which writes them through the ledger's writer with the source position in one
/// transaction; the writer tells its observers (the live `/metrics`) what changed.
public final class Ingestor {
    public let source: String
    private let extractor: Extractor
    private let correlator: Correlator
    private let folder: LedgerFold
    private var decisions: [Attributed] = []
    public var linesSinceCommit: Int { folder.fold.linesInBatch }
    /// Where and why the last malformed line was rejected, for logs and `/healthz`.
    public var lastProblem: String? { folder.fold.lastProblem }

    public init(
        source: String, writer: LedgerWriter, profile: Profile, envelopes: EnvelopeParser, maxLineBytes: Int,
        correlator state: CorrelatorState, fileRun: String? = nil, toolCap: Int = 64, workflowCap: Int = 64,
        knownWorkflows: [String] = [], alerting: Alerting = Alerting()
    ) throws {
        self.source = source
        self.extractor = try Extractor(profile: profile, envelopes: envelopes, maxLineBytes: maxLineBytes)
        self.correlator = Correlator(profile: profile, state: state, fileRun: fileRun)
        folder = try LedgerFold(
            source: source, writer: writer, knownWorkflows: profile.knownWorkflows + knownWorkflows, toolCap: toolCap,
            workflowCap: workflowCap, alerting: alerting)
    }

    public var correlatorState: CorrelatorState { correlator.state }

    /// The alerting the next commit uses (a reload's); the lines already folded keep their runs' state.
    public var alerting: Alerting {
        get { folder.alerting }
        set { folder.alerting = newValue }
    }

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
        try folder.fold.add(result, problem: why, decisions: decisions, lineNumber: lineNumber)
    }

    /// Writes everything since the last commit together with `position`.
    /// `correlator`: the correlator's state after the last line applied, when a reader thread runs the
    /// correlator ahead (`correlate`); by default its current state.
    public func commit(
        identity: String, offset: Int64, lines: Int64, correlator state: CorrelatorState? = nil
    ) throws {
        try folder.commit(
            position: SourcePosition(
                source: source, identity: identity, offset: offset, lines: lines,
                correlator: state ?? correlator.state))
    }
}
