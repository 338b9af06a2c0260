import RunLedgerCore
import RunLedgerStore

/// Finds running runs that went quiet for the stall threshold (`StallDetector`), by the log's clock,
/// and hands them to the ledger's writer, which folds the mark and its `stalled_run` alert and commits
/// them together, like every other fact. It only reads the ledger.
public final class StallWatch {
    /// A connection of the watch's own, for reading: the writer's belongs to the writer's thread.
    private let reader: any LedgerQueries
    private var alerting: Alerting
    /// Where a reload leaves a new threshold (nil inside: stall checks off); taken before each look.
    private let thresholds: Handoff<StallDetector?>

    public init(
        reader: any LedgerQueries, options: FileIngest.Options, thresholds: Handoff<StallDetector?> = Handoff()
    ) throws {
        self.reader = reader
        self.thresholds = thresholds
        alerting = options.alerting
        // After a restart the clock starts where the ledger's runs left it, not at the first new line.
        if let t = try reader.latestRunTimeMs() { alerting.clock.advance(to: t) }
    }

    /// One look: the runs stalled by now (default: the log's clock); nil when there are none.
    public func checkOnce(nowMs: Int64? = nil) throws -> OutsideFacts? {
        if let next = thresholds.take() { alerting.stall = next }
        guard let detector = alerting.stall, let now = nowMs ?? alerting.clock.nowMs() else { return nil }
        let quiet = try reader.runs(RunQuery(status: .running)).filter { detector.isStalled($0, nowMs: now) }
        guard !quiet.isEmpty else { return nil }
        return .stalls(runIds: quiet.map(\.runId), atMs: now)
    }

    /// Looks every `seconds` until `shouldStop` (see `Periodic.run`), leaving what it finds in `inbox`;
    /// `report` gets a failure's reason once.
    public func run(
        until shouldStop: () -> Bool, every seconds: Double, into inbox: WriterInbox, _ report: (String?) -> Void
    ) {
        Periodic.run(
            every: seconds, until: shouldStop,
            {
                if let facts = try checkOnce() { inbox.submit(facts) }
                return nil
            },
            report: { problem, isNew in report(isNew ? problem : nil) })
    }
}
