import Foundation
import RunLedgerCore
import RunLedgerStore

/// Asks a report source (the executor's database or its status API) what the executor claims about
/// the runs that ended, and hands what is new or changed to the ledger's writer as that source's
/// reports: a 0 there for a field the logs show was more is a reporting mismatch. It only reads the
/// ledger. A source that is missing, down or answers garbage is a problem for the caller to log and
/// count; it never raises a mismatch by itself.
public final class ReportPoller {
    public let source: any ReportSource
    /// A connection of the poller's own, for reading: the writer's belongs to the writer's thread.
    private let reader: any LedgerQueries
    /// What one poll found: the reports to fold in (new or changed), and why runs were left unread (if any).
    public struct Outcome: Sendable {
        public var facts: OutsideFacts
        public var problem: String?
    }

    public init(source: any ReportSource, reader: any LedgerQueries) {
        self.source = source
        self.reader = reader
    }

    /// One poll: asks about the ended runs the source wants to be asked about (most recently ended
    /// first) and returns the reports that differ from the ledger's. Throws when nothing could be read.
    public func pollOnce() throws -> Outcome {
        let ended = try reader.endedRuns(reportedBy: source.name, unreportedOnly: !source.rereadsReportedRuns)
        guard !ended.isEmpty else { return Outcome(facts: .reports([:], source: source.name)) }
        let known = Dictionary(uniqueKeysWithValues: ended.map { ($0.runId, $0.report) })
        let answer = try source.reports(for: ended.map(\.runId))
        let changed = answer.reports.filter { id, report in known[id].map { $0 != report } ?? false }
        return Outcome(facts: .reports(changed, source: source.name), problem: answer.problem)
    }

    /// Polls every `seconds` until `shouldStop` (see `Periodic.run`), leaving each poll's reports in
    /// `inbox`. `report` gets each poll's problem (nil when none) and whether it is new: a cause is
    /// logged once, not on every retry, while every failed poll is counted.
    public func run(
        until shouldStop: () -> Bool, every seconds: Double, into inbox: WriterInbox,
        _ report: (_ problem: String?, _ problemIsNew: Bool) -> Void
    ) {
        Periodic.run(
            every: seconds, until: shouldStop,
            {
                let o = try pollOnce()
                if !o.facts.isEmpty { inbox.submit(o.facts) }
                return o.problem
            }, report: report)
    }
}
