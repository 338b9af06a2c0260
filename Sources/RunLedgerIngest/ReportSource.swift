import RunLedgerCore
import RunLedgerReports

/// A place outside the logs where the executor states what it claims about ended runs: its database
/// (`db`) or its status API (`api`). `ReportPoller` asks it and folds the answers in.
public protocol ReportSource: AnyObject {
    /// The key of its reports in a run's `reported` and `mismatch` (`db`, `api`).
    var name: String { get }
    /// Whether a run this source already reported on is asked again: a database row may still change
    /// and costs nothing to re-read; an API answer about an ended run is final, and requests cost.
    var rereadsReportedRuns: Bool { get }
    /// Reports for `runIds` (ended runs, most recently ended first). Throws when the source cannot
    /// be read at all; a source that read some runs and then failed returns them with the problem.
    func reports(for runIds: [String]) throws -> ReportAnswer
}

public struct ReportAnswer {
    public var reports: [String: Report]
    /// Why runs were left unread this time (asked again on a later poll). One line, no secrets.
    public var problem: String?

    public init(reports: [String: Report] = [:], problem: String? = nil) {
        self.reports = reports
        self.problem = problem
    }
}

/// The executor's `workflow_runs` table (SQLite or PostgreSQL) as a report source, opened on first
/// use and again after any failure, so that a database that appears later, or a server that comes
/// back, is picked up.
public final class DatabaseReports: ReportSource {
    public let name = "db"
    public let rereadsReportedRuns = true
    private let location: ExecutorDatabaseLocation
    private var reader: (any ExecutorReportReader)?

    public init(location: ExecutorDatabaseLocation) { self.location = location }

    public func reports(for runIds: [String]) throws -> ReportAnswer {
        do {
            let db = try reader ?? location.open()
            reader = db
            return ReportAnswer(reports: try db.reports(for: runIds))
        } catch {
            reader = nil
            throw error
        }
    }
}

/// A report source as a value: what the configuration names, checked, and opened by the thread that
/// polls it (a source holds a connection or an HTTP client, which belong to one thread).
public enum ReportSourceSpec: Sendable {
    case database(ExecutorDatabaseLocation)
    case statusAPI(StatusAPI.Options)

    /// The key of its reports (`db`, `api`).
    public var name: String {
        switch self {
        case .database: "db"
        case .statusAPI: "api"
        }
    }

    /// A new source of this kind; throws what `StatusAPI.check` finds wrong with its options.
    public func open() throws -> any ReportSource {
        switch self {
        case .database(let location): DatabaseReports(location: location)
        case .statusAPI(let options): try StatusAPI(options)
        }
    }
}
