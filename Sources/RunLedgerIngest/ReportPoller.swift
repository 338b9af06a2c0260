import Foundation
import RunLedgerCore
import RunLedgerStore

/// Asks a report source (the executor's database or its status API) what the executor claims about
/// the runs that ended, and folds that in as that source's report: a 0 there for a field the logs
/// show was more is a reporting mismatch. A source that is missing, down or answers garbage is a
/// problem for the caller to log and count; it never raises a mismatch by itself.
public final class ReportPoller {
    public let source: any ReportSource
    private let ledger: any LedgerStore
    /// Folds the reports into the runs they name and commits them with what they raise.
    private let writer: LedgerFold
    /// What one poll did: the series change, and why runs were left unread (if any).
    public struct Outcome {
        public var changes: SeriesValues = [:]
        public var problem: String?
    }

    public init(source: any ReportSource, ledger: any LedgerStore, options: FileIngest.Options) throws {
        self.source = source
        self.ledger = ledger
        writer = try LedgerFold(
            source: "reports-\(source.name)", ledger: ledger,
            knownWorkflows: options.profile.knownWorkflows + options.knownWorkflows, toolCap: options.toolCap,
            workflowCap: options.workflowCap, alerting: options.alerting)
    }

    /// One poll: asks about the ended runs the source wants to be asked about (most recently ended
    /// first) and commits the reports that are new or changed. Throws when nothing could be read.
    @discardableResult
    public func pollOnce() throws -> Outcome {
        let ended = try ledger.endedRuns(reportedBy: source.name, unreportedOnly: !source.rereadsReportedRuns)
        guard !ended.isEmpty else { return Outcome() }
        let known = Dictionary(uniqueKeysWithValues: ended.map { ($0.runId, $0.report) })
        let answer = try source.reports(for: ended.map(\.runId))
        let changed = answer.reports.filter { id, report in known[id].map { $0 != report } ?? false }
        var outcome = Outcome(problem: answer.problem)
        if !changed.isEmpty {
            // The fold holds the ledger's writer lock from its first read of a run to this commit
            // (never while the source is asked), so the follower cannot write over these reports.
            try writer.fold.add(reports: changed, source: source.name)
            outcome.changes = try writer.commit(position: nil)
        }
        return outcome
    }

    /// Polls every `seconds` until `shouldStop` (see `Periodic.run`). `report` gets each poll's outcome (a failed poll is
    /// an outcome with a problem and no change) and whether its problem is new: a cause is logged
    /// once, not on every retry, while every failed poll is counted.
    public func run(
        until shouldStop: () -> Bool, every seconds: Double, _ report: (Outcome, _ problemIsNew: Bool) -> Void
    ) {
        Periodic.run(
            every: seconds, until: shouldStop,
            {
                let o = try pollOnce()
                return (o.changes, o.problem)
            },
            report: { changes, problem, isNew in report(Outcome(changes: changes, problem: problem), isNew) })
    }
}
