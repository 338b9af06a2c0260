import CSQLite

/// A failure of the ledger, worded for a one-line message: `PATH: what is wrong`.
public struct LedgerError: Error, CustomStringConvertible {
    public var description: String
    /// The ledger's database could not be reached (a lost connection): nothing was refused, and the
    /// same change may succeed once it is back.
    public var unavailable = false
    public init(_ description: String, unavailable: Bool = false) {
        self.description = description
        self.unavailable = unavailable
    }
}

/// A thin owner of one `sqlite3` connection. Not thread-safe: one thread uses it at a time. `package`:
/// the executor's own SQLite database is read through it too (`RunLedgerReports`).
package final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    package init(path: String, readOnly: Bool) throws {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        handle = db
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            handle = nil
            throw LedgerError("\(path): \(message)")
        }
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { close() }

    func close() {
        if let h = handle { sqlite3_close_v2(h) }
        handle = nil
    }

    func error(_ what: String) -> LedgerError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
        return LedgerError("\(path): \(what): \(message)")
    }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw LedgerError("\(path): \(message)")
        }
    }

    package func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil) == SQLITE_OK, let stmt
        else {
            throw error("prepare")
        }
        return Statement(stmt, self)
    }
}

/// A prepared statement, reset after each use.
package final class Statement {
    private let stmt: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ stmt: OpaquePointer, _ connection: SQLiteConnection) {
        self.stmt = stmt
        self.connection = connection
    }

    deinit { sqlite3_finalize(stmt) }

    @discardableResult
    func bind(_ values: [SQLValue]) -> Statement {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            switch v {
            case .int(let n): sqlite3_bind_int64(stmt, index, n)
            case .text(let s): sqlite3_bind_text(stmt, index, s, -1, runledger_sqlite_transient())
            case .null: sqlite3_bind_null(stmt, index)
            }
        }
        return self
    }

    /// Runs a statement that returns no rows.
    func run(_ values: [SQLValue] = []) throws {
        bind(values)
        let rc = sqlite3_step(stmt)
        sqlite3_reset(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw connection.error("write") }
    }

    /// Runs a query and hands each row to `body`.
    package func query(_ values: [SQLValue] = [], _ body: (Row) throws -> Void) throws {
        bind(values)
        defer { sqlite3_reset(stmt) }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw connection.error("read") }
            try body(Row(stmt: stmt))
        }
    }
}

package enum SQLValue {
    case int(Int64)
    case text(String)
    case null

    static func optional(_ v: Int64?) -> SQLValue { v.map(SQLValue.int) ?? .null }
}

package struct Row {
    let stmt: OpaquePointer

    package func int(_ i: Int32) -> Int64 { sqlite3_column_int64(stmt, i) }
    package func optionalInt(_ i: Int32) -> Int64? { sqlite3_column_type(stmt, i) == SQLITE_NULL ? nil : int(i) }
    package func optionalText(_ i: Int32) -> String? { sqlite3_column_type(stmt, i) == SQLITE_NULL ? nil : text(i) }
    /// The column's text as bytes, valid only inside `body` (no `String` made).
    func withBytes<T>(_ i: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        let n = Int(sqlite3_column_bytes(stmt, i))
        guard let p = sqlite3_column_text(stmt, i) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: p, count: n))
    }

    package func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, i) else { return "" }
        return String(cString: p)
    }
}
