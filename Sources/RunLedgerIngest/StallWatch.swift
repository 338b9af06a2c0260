import RunLedgerCore
import RunLedgerStore

/// Marks running runs that went quiet for the stall threshold (`StallDetector`), by the log's clock;
/// the mark and its `stalled_run` alert commit together, like every other fact.
public final class StallWatch {
    private let ledger: any LedgerStore
    private let alerting: Alerting
    /// Folds the stall marks and commits them (and their alerts) like any other fact.
    private let writer: LedgerFold

    public init(ledger: any LedgerStore, options: FileIngest.Options) throws {
        self.ledger = ledger
        alerting = options.alerting
        writer = try LedgerFold(
            source: "stall-watch", ledger: ledger,
            knownWorkflows: options.profile.knownWorkflows + options.knownWorkflows,
            toolCap: options.toolCap, workflowCap: options.workflowCap, alerting: options.alerting)
        // After a restart the clock starts where the ledger's runs left it, not at the first new line.
        if let t = try ledger.latestRunTimeMs() { alerting.clock.advance(to: t) }
    }

    /// One look: marks the runs stalled by now (default: the log's clock); returns the series change.
    @discardableResult
    public func checkOnce(nowMs: Int64? = nil) throws -> SeriesValues {
        guard let detector = alerting.stall, let now = nowMs ?? alerting.clock.nowMs() else { return [:] }
        let quiet = try ledger.runs(RunQuery(status: .running)).filter { detector.isStalled($0, nowMs: now) }
        guard !quiet.isEmpty else { return [:] }
        for r in quiet { try writer.fold.add(.stalled(atMs: now), toRun: r.runId) }
        return try writer.commit(position: nil)
    }

    /// Looks every `seconds` until `shouldStop` (see `Periodic.run`); a failure's reason is given once.
    public func run(until shouldStop: () -> Bool, every seconds: Double, _ report: (SeriesValues, String?) -> Void) {
        Periodic.run(
            every: seconds, until: shouldStop, { (try checkOnce(), nil) },
            report: { changes, problem, isNew in report(changes, isNew ? problem : nil) })
    }
}
