import RunLedgerCore
import RunLedgerStore

/// A `RunFold` bound to the ledger's writer: it reads runs from the store on their first touch in a
/// batch and commits each batch through the writer in one transaction (runs, unattributed facts,
/// rollups, alerts, the position). Each log source's ingestor owns one; the writer owns one per
/// outside source (reports, stalls). Only the writer's thread uses it.
public final class LedgerFold {
    public let writer: LedgerWriter
    /// Mutated in place by the owner (`fold.add…`); `commit` takes its batch.
    public var fold: RunFold
    private let source: String
    /// The detector and routes the next commit raises and routes alerts with; a reload replaces them
    /// between batches (`Follower.reconfigure`), so a batch is judged by one configuration, whole.
    public var alerting: Alerting {
        didSet { fold.detector = alerting.detector }
    }

    /// `knownWorkflows`: the workflows that always get a label of their own (the profile's and the
    /// configuration's); the other labels start from those the ledger's rollups already use.
    public init(
        source: String, writer: LedgerWriter, knownWorkflows: [String], toolCap: Int = 64, workflowCap: Int = 64,
        alerting: Alerting = Alerting()
    ) throws {
        self.writer = writer
        self.source = source
        self.alerting = alerting
        let labels = FoldLabels(
            rollups: try writer.store.rollups(), toolCap: toolCap, workflowCap: workflowCap,
            alwaysWorkflows: Set(knownWorkflows))
        fold = RunFold(
            source: source, lookup: StoreRunLookup(store: writer.store), labels: labels,
            detector: alerting.detector)
    }

    /// Writes everything folded since the last commit together with `position` (nil: none moves) and
    /// tells the writer's observers. A failed batch is dropped, not retried: the source reads it again
    /// from its saved position.
    public func commit(position: SourcePosition?) throws {
        let folded = fold.takeBatch()
        var batch = LedgerBatch()
        batch.runs = folded.runs
        batch.alerts = folded.alerts
        batch.rollupDelta = folded.delta
        batch.routes = alerting.routes
        batch.unattributed = folded.unattributed
        batch.position = position
        try writer.commit(batch, source: source)
        if let t = folded.latestTimeMs { alerting.clock.advance(to: t) }
    }
}

/// Reads a run from the store for the fold. No lock: the writer is the store's only writer, and it
/// folds outside facts only between log batches.
struct StoreRunLookup: RunLookup {
    let store: any LedgerStore
    func run(_ id: String) throws -> RunRecord? { try store.run(id) }
}
