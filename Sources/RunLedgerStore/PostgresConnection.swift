import CPostgres
import Foundation

/// A thin owner of one libpq connection: the executor's database read in a read-only session
/// (`RunLedgerReports`), or a PostgreSQL ledger read and written (`PostgresLedger`). Every message it
/// throws is one line that names the database by `PostgresAddress.displayName` and has its secrets
/// removed: libpq's own messages may quote what they were given. Not thread-safe: one thread uses it
/// at a time.
package final class PostgresConnection {
    package let address: PostgresAddress
    private var conn: OpaquePointer?
    /// Run again after a lost connection is re-opened (a ledger's session lock), before anything else.
    package var onReconnect: ((PostgresConnection) throws -> Void)?

    /// Settings RunLedger adds to a reading session: it never writes (the server refuses any write in a
    /// read-only transaction, whatever the role may do), and a stuck query cannot hold a poll forever.
    static let sessionOptions = "-c default_transaction_read_only=on -c statement_timeout=30s"
    /// A writing session (the ledger's writer): a stuck statement cannot hold a commit forever, and a
    /// session idle inside a transaction (a writer stopped mid-batch) does not hold its locks for long.
    static let writingSessionOptions = "-c statement_timeout=60s -c idle_in_transaction_session_timeout=60s"

    package init(_ address: PostgresAddress, readOnly: Bool = true) throws {
        self.address = address
        var parameters = address.parameters.filter { $0.keyword != "options" }
        // Setting `options` replaces PGOPTIONS, so the user's own (from either) are kept in front.
        let given = address.value("options") ?? ProcessInfo.processInfo.environment["PGOPTIONS"]
        let userOptions = given.map { $0 + " " } ?? ""
        // Appended after the user's own options, so a `-c default_transaction_read_only=off` there loses.
        parameters.append(("options", userOptions + (readOnly ? Self.sessionOptions : Self.writingSessionOptions)))
        // A host that drops packets would otherwise hold the poll for as long as the kernel retries.
        if address.value("connect_timeout") == nil { parameters.append(("connect_timeout", "10")) }
        if address.value("application_name") == nil { parameters.append(("application_name", "runledger")) }
        // A proxy or firewall that drops idle connections is noticed by the kernel, not by a hung commit.
        if address.value("keepalives_idle") == nil { parameters.append(("keepalives_idle", "30")) }
        conn = Self.connect(parameters)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            close()
            throw failure(PostgresAddress.firstLine(message))
        }
        // libpq writes the server's notices (`relation … already exists, skipping`) to stderr by
        // default: a command's output is its own lines only.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { close() }

    package func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    private static func connect(_ parameters: [(keyword: String, value: String)]) -> OpaquePointer? {
        // libpq wants two NULL-terminated arrays of C strings that live through the call.
        let keywords = parameters.map { strdup($0.keyword) } + [nil]
        let values = parameters.map { strdup($0.value) } + [nil]
        defer { (keywords + values).forEach { free($0) } }
        return keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 0)
            }
        }
    }

    /// The connection, re-opened first if it was lost (a server restart, a proxy that dropped it): the
    /// statement that noticed the loss failed, the next one finds the server again. A re-opened session
    /// runs `onReconnect` before it is used.
    private func live() throws -> OpaquePointer {
        guard let conn else { throw failure("not connected") }
        guard PQstatus(conn) != CONNECTION_OK else { return conn }
        try reopen(conn)
        return conn
    }

    /// Opens the session again (out of pipeline mode, its transaction gone) and runs `onReconnect`.
    private func reopen(_ conn: OpaquePointer) throws {
        PQreset(conn)
        _ = PQexitPipelineMode(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            throw failure(PostgresAddress.firstLine(String(cString: PQerrorMessage(conn))), unavailable: true)
        }
        try onReconnect?(self)
    }

    /// Runs one statement with text parameters ($1, $2, …; nil is NULL) and returns its rows as text
    /// (nil: NULL).
    @discardableResult
    package func query(_ sql: String, _ params: [String?] = []) throws -> [[String?]] {
        try withResult(sql, params, Self.rows)
    }

    /// The first column of the first row (nil: no row, or NULL).
    package func scalar(_ sql: String, _ params: [String?] = []) throws -> String? {
        try query(sql, params).first?.first ?? nil
    }

    /// Runs one statement that returns no rows; how many rows it changed (`INSERT`, `UPDATE`, `DELETE`).
    @discardableResult
    package func command(_ sql: String, _ params: [String?] = []) throws -> Int {
        try withResult(sql, params) { Int(String(cString: PQcmdTuples($0))) ?? 0 }
    }

    /// Runs statements without parameters, several separated by `;` (a schema step).
    package func exec(_ sql: String) throws {
        let conn = try live()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw failure(errorMessage(result), unavailable: !isConnected)
        }
    }

    private func withResult<T>(_ sql: String, _ params: [String?], _ body: (OpaquePointer) -> T) throws -> T {
        let conn = try live()
        let result = Self.withCStrings(params) { PQexecParams(conn, sql, $1, nil, $0, nil, nil, 0) }
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_TUPLES_OK || PQresultStatus(result) == PGRES_COMMAND_OK
        else { throw failure(errorMessage(result), unavailable: !isConnected) }
        return body(result)
    }

    /// One statement of a pipeline: text parameters ($1, $2, …; nil is NULL).
    package struct Statement {
        package var sql: String
        package var params: [String?]
        package init(_ sql: String, _ params: [String?]) { (self.sql, self.params) = (sql, params) }
    }

    /// Runs `statements` in order, `chunk` at a time in libpq's pipeline mode: one round trip a chunk
    /// rather than one a statement (a commit of thousands of rows). Returns each one's rows. The first
    /// that fails is thrown once its chunk's answers are in; those after it in the chunk did not run, and
    /// inside a transaction the caller rolls back. Chunks keep the answers the server holds small: it
    /// never waits on a client that is still sending.
    package func pipelined(_ statements: [Statement], chunk: Int = 64) throws -> [[[String?]]] {
        let conn = try live()
        guard PQenterPipelineMode(conn) == 1 else {
            throw failure(PostgresAddress.firstLine(String(cString: PQerrorMessage(conn))))
        }
        var out: [[[String?]]] = []
        out.reserveCapacity(statements.count)
        for start in stride(from: 0, to: statements.count, by: chunk) {
            let part = statements[start..<min(statements.count, start + chunk)]
            for statement in part {
                let sent = Self.withCStrings(statement.params) {
                    PQsendQueryParams(conn, statement.sql, $1, nil, $0, nil, nil, 0)
                }
                guard sent == 1 else { throw abandonPipeline(conn) }
            }
            guard PQpipelineSync(conn) == 1 else { throw abandonPipeline(conn) }
            var firstError: LedgerError?
            for _ in part {
                // Each statement's answer, then nil.
                guard let result = PQgetResult(conn) else { throw abandonPipeline(conn) }
                let status = PQresultStatus(result)
                if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK {
                    out.append(Self.rows(result))
                } else if firstError == nil {
                    firstError = failure(errorMessage(result), unavailable: !isConnected)
                }
                PQclear(result)
                while let extra = PQgetResult(conn) { PQclear(extra) }
            }
            guard let sync = PQgetResult(conn) else { throw abandonPipeline(conn) }
            let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
            PQclear(sync)
            guard synced else { throw abandonPipeline(conn) }
            if let firstError {
                _ = PQexitPipelineMode(conn)
                throw firstError
            }
        }
        guard PQexitPipelineMode(conn) == 1 else { throw abandonPipeline(conn) }
        return out
    }

    /// Text parameters as libpq takes them (an array of C strings, nil for NULL, and its count), alive
    /// through `body`.
    private static func withCStrings<T>(
        _ params: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> T
    ) -> T {
        let copies = params.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress, Int32(copies.count)) }
    }

    /// A pipeline whose answers did not come as they must (a connection lost mid-way): the session is
    /// dropped and opened again, its transaction gone, and the caller tries again like after any loss.
    private func abandonPipeline(_ conn: OpaquePointer) -> LedgerError {
        let said = PostgresAddress.firstLine(String(cString: PQerrorMessage(conn)))
        try? reopen(conn)  // if the server is away, the next statement finds the session lost and tries again
        return failure("a pipelined commit was cut off: \(said)", unavailable: true)
    }

    private static func rows(_ result: OpaquePointer) -> [[String?]] {
        (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// Whether the connection is up now (false after a lost one, until a statement re-opens it).
    package var isConnected: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    private func errorMessage(_ result: OpaquePointer?) -> String {
        // The primary message alone: the full text adds `LINE 1: …` and a caret on lines of their own.
        if let result, let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))) {
            return String(cString: primary)
        }
        return PostgresAddress.firstLine(conn.map { String(cString: PQerrorMessage($0)) } ?? "not connected")
    }

    /// `unavailable`: the connection was lost (the server went away, or a proxy dropped it), so the
    /// statement may succeed on a new one.
    package func failure(_ message: String, unavailable: Bool = false) -> LedgerError {
        LedgerError("\(address.displayName): \(address.redact(message))", unavailable: unavailable)
    }
}
