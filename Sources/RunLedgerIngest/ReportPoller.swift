import RunLedgerCore
import RunLedgerStore

/// Asks the executor's database what it claims about the runs that ended, and folds that in as the
/// `db` report: a 0 there for a field the logs show was more is a reporting mismatch. A database that
/// is missing, locked or of another schema is an error for the caller to log and retry; it never
/// raises a mismatch by itself.
public final class ReportPoller {
    private let path: String
    private let ledger: Ledger
    private let ingestor: Ingestor
    private var database: ExecutorDatabase?

    public init(executorDatabase path: String, ledger: Ledger, options: FileIngest.Options) throws {
        self.path = path
        self.ledger = ledger
        ingestor = try Ingestor(
            source: "executor-db", ledger: ledger, profile: options.profile, envelopes: options.envelopes,
            maxLineBytes: options.maxLineBytes, correlator: CorrelatorState(), toolCap: options.toolCap,
            alerting: options.alerting)
    }

    /// One poll: reads the rows of ended runs whose `db` report is new or changed; returns the series change.
    @discardableResult
    public func pollOnce() throws -> SeriesValues {
        let db = try database ?? ExecutorDatabase(path: path)
        database = db
        var ended: [String: Report?] = [:]
        for status in RunStatus.terminal {
            for r in try ledger.runs(RunQuery(status: status)) { ended[r.runId] = r.reported["db"] }
        }
        let reports = try db.reports(for: Array(ended.keys).sorted())
        let changed = reports.filter { id, report in ended[id].map { $0 != report } ?? false }
        guard !changed.isEmpty else { return [:] }
        try ingestor.apply(reports: changed, source: "db")
        return try ingestor.commitReports()
    }

    /// Polls every `seconds` until `shouldStop` (see `Periodic.run`).
    public func run(until shouldStop: () -> Bool, every seconds: Int, _ report: (SeriesValues, String?) -> Void) {
        Periodic.run(every: Double(seconds), until: shouldStop, { try pollOnce() }, report: report)
    }
}
