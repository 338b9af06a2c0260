import RunLedgerCore
import RunLedgerStore

/// What reads the executor's `workflow_runs` table, whichever database holds it.
public protocol ExecutorReportReader: AnyObject {
    /// What the executor reports for each of `runIds` whose row says the run has ended.
    func reports(for runIds: [String]) throws -> [String: Report]
}

extension ExecutorDatabase: ExecutorReportReader {}

/// Where the executor's database is, by the form of `--executor-db`: a PostgreSQL connection string
/// (`postgresql://…`, `postgres://…`, `host=… dbname=…`) or else the path of its SQLite file.
public enum ExecutorDatabaseLocation: Sendable {
    case sqlite(path: String)
    case postgres(PostgresAddress)

    /// Throws when a connection string is malformed (the message never holds its password), so a
    /// typo is said at startup and by `check`, not on every poll.
    public init(_ value: String) throws {
        guard !value.isEmpty else { throw LedgerError("empty: want a SQLite path or a PostgreSQL connection string") }
        self =
            PostgresAddress.looksLikeConnectionString(value)
            ? .postgres(try PostgresAddress(value)) : .sqlite(path: value)
    }

    /// How messages name it (no password).
    public var displayName: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let address): address.displayName
        }
    }

    /// Opens a reader; throws a one-line reason when the database cannot be read now.
    public func open() throws -> any ExecutorReportReader {
        switch self {
        case .sqlite(let path): try ExecutorDatabase(path: path)
        case .postgres(let address): try ExecutorPostgres(address)
        }
    }
}
