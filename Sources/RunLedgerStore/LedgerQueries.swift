import RunLedgerCore

/// What the readers of a ledger read: `/api/runs`, the pages (`/`, `/runs`, `/runs/{id}`), the
/// commands (`runs`, `metrics`, `alerts`), the report pollers and the stall watch. A backend's reader implements it; `LedgerReader` pools them for HTTP.
/// Nothing here writes, and nothing names a storage engine: a filter is a `RunFilter`, a page a
/// `RunPage`, and the cursor an opaque number the backend hands out and takes back.
///
/// A class protocol: a reader is one connection to a shared ledger, used by one thread at a time.
public protocol LedgerQueries: AnyObject {
    /// One page of `filter`'s runs, newest first (most recently first written), and the cursor of the
    /// page after it (nil: no more). A cursor stays valid while runs are added: pages never shift.
    func runs(_ filter: RunFilter, page: RunPage) throws -> (runs: [RunRecord], next: Int64?)
    /// Every run of `filter`, oldest first written first (`runs --json`).
    func allRuns(_ filter: RunFilter) throws -> [RunRecord]
    /// How many of `filter`'s runs there are, and of them how many are false failures, mismatches and stalled.
    func counts(_ filter: RunFilter) throws -> RunCounts
    /// How many of `filter`'s runs there are (a list's total, where the kinds are not shown).
    func count(_ filter: RunFilter) throws -> Int
    /// Whether runs name the instance that first wrote them: a ledger a fleet shares (PostgreSQL). The
    /// pages then show and filter by it.
    var namesInstances: Bool { get }
    /// One run by id (nil: the ledger has none).
    func run(_ id: String) throws -> RunRecord?
    func runCount() throws -> Int
    /// Metric facts no rule could tie to a run, kept in the ledger.
    func unattributedCount() throws -> Int
    /// Every source's saved position, by source name.
    func positions() throws -> [SourcePosition]
    /// Every ledger-derived series and its value (`runledger metrics` renders them).
    func rollups() throws -> SeriesValues
    /// The latest start or end time among the runs written last: where the log's clock stood.
    func latestRunTimeMs() throws -> Int64?
    /// Ended runs, most recently ended first (then by run id, descending), each with its report from
    /// `source` (nil when it has none); `unreportedOnly` leaves out the runs that have one. What a
    /// report poller asks its source about.
    func endedRuns(reportedBy source: String, unreportedOnly: Bool) throws -> [(runId: String, report: Report?)]
    /// Runs by status, oldest written first (the stall watch's running runs).
    func runs(_ query: RunQuery) throws -> [RunRecord]
    /// The outbox's deliveries, newest alert first (then by sink), in `state` only when given
    /// (`runledger alerts`). `firstAttemptMs` may be nil: only the notifier needs it (`OutboxStore`).
    func allDeliveries(state: Delivery.State?, limit: Int) throws -> [Delivery]
}

/// Counts of one filter's runs by kind: what the landing page and the list's header show.
public struct RunCounts: Sendable, Equatable {
    public init() {}
    public init(runs: Int, falseFailures: Int, mismatches: Int, stalled: Int) {
        (self.runs, self.falseFailures, self.mismatches, self.stalled) = (runs, falseFailures, mismatches, stalled)
    }
    public var runs = 0
    public var falseFailures = 0
    public var mismatches = 0
    public var stalled = 0
}

extension LedgerQueries {
    public func count(_ filter: RunFilter) throws -> Int { try counts(filter).runs }
    public var namesInstances: Bool { false }
}

extension Ledger: LedgerQueries {}
