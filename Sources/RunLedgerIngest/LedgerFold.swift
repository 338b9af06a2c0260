import RunLedgerCore
import RunLedgerStore

/// A `RunFold` bound to a ledger: it reads runs from the ledger on their first touch in a batch and
/// commits each batch in one transaction (runs, unattributed facts, rollups, alerts, the position).
/// The log's ingestor, the report pollers and the stall watch each own one.
public final class LedgerFold {
    public let ledger: any LedgerStore
    /// Mutated in place by the owner (`fold.add…`); `commit` takes its batch.
    public var fold: RunFold
    private let lookup: LedgerRunLookup
    private let alerting: Alerting

    /// `knownWorkflows`: the workflows that always get a label of their own (the profile's and the
    /// configuration's); the other labels start from those the ledger's rollups already use.
    public init(
        source: String, ledger: any LedgerStore, knownWorkflows: [String], toolCap: Int = 64, workflowCap: Int = 64,
        alerting: Alerting = Alerting()
    ) throws {
        self.ledger = ledger
        self.alerting = alerting
        lookup = LedgerRunLookup(ledger: ledger)
        let labels = FoldLabels(
            rollups: try ledger.rollups(), toolCap: toolCap, workflowCap: workflowCap,
            alwaysWorkflows: Set(knownWorkflows))
        fold = RunFold(source: source, lookup: lookup, labels: labels, detector: alerting.detector)
    }

    /// Writes everything folded since the last commit together with `position` (nil: none moves);
    /// returns the series change. The ledger's writer lock, taken on the batch's first read of a run,
    /// is released whether the commit succeeds or not; a failed batch is dropped, not retried.
    public func commit(position: SourcePosition?) throws -> SeriesValues {
        defer { lookup.releaseWriter() }
        let folded = fold.takeBatch()
        var batch = LedgerBatch()
        batch.runs = folded.runs
        batch.alerts = folded.alerts
        batch.rollupDelta = folded.delta
        batch.routes = alerting.routes
        batch.unattributed = folded.unattributed
        batch.position = position
        try ledger.commit(batch)
        if let t = folded.latestTimeMs { alerting.clock.advance(to: t) }
        return batch.rollupDelta
    }
}

/// Reads a run from the ledger for the fold. The first read of a batch takes the ledger's writer lock,
/// held to the commit (see `LedgerStore.writer`): no other writer may change a run between the read its
/// change is computed from and the commit that writes it.
final class LedgerRunLookup: RunLookup {
    private let ledger: any LedgerStore
    private var holdsWriter = false

    init(ledger: any LedgerStore) { self.ledger = ledger }

    func run(_ id: String) throws -> RunRecord? {
        if !holdsWriter {
            ledger.writer.lock()
            holdsWriter = true
        }
        return try ledger.run(id)
    }

    func releaseWriter() {
        if holdsWriter {
            holdsWriter = false
            ledger.writer.unlock()
        }
    }

    deinit { releaseWriter() }
}
