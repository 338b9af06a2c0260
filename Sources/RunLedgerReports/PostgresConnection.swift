import CPostgres
import Foundation
import RunLedgerStore

/// A thin owner of one libpq connection, for reading only. Every message it throws is one line that
/// names the database by `PostgresAddress.displayName` and has its secrets removed: libpq's own
/// messages may quote what they were given. Not thread-safe: one thread uses it at a time.
final class PostgresConnection {
    let address: PostgresAddress
    private var conn: OpaquePointer?

    /// Settings RunLedger adds to the session: it never writes (the server refuses any write in a
    /// read-only transaction, whatever the role may do), and a stuck query cannot hold a poll forever.
    static let sessionOptions = "-c default_transaction_read_only=on -c statement_timeout=30s"

    init(_ address: PostgresAddress) throws {
        self.address = address
        var parameters = address.parameters.filter { $0.keyword != "options" }
        // Setting `options` replaces PGOPTIONS, so the user's own (from either) are kept in front.
        let given = address.value("options") ?? ProcessInfo.processInfo.environment["PGOPTIONS"]
        let userOptions = given.map { $0 + " " } ?? ""
        // Appended after the user's own options, so a `-c default_transaction_read_only=off` there loses.
        parameters.append(("options", userOptions + Self.sessionOptions))
        // A host that drops packets would otherwise hold the poll for as long as the kernel retries.
        if address.value("connect_timeout") == nil { parameters.append(("connect_timeout", "10")) }
        if address.value("application_name") == nil { parameters.append(("application_name", "runledger")) }
        conn = Self.connect(parameters)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            close()
            throw failure(PostgresAddress.firstLine(message))
        }
    }

    deinit { close() }

    func close() {
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

    /// Runs one statement with text parameters ($1, $2, …) and returns its rows as text (nil: NULL).
    func query(_ sql: String, _ params: [String] = []) throws -> [[String?]] {
        guard let conn else { throw failure("not connected") }
        let copies = params.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let result = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer {
            PQexecParams(conn, sql, Int32(params.count), nil, $0.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw failure(errorMessage(result))
        }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    private func errorMessage(_ result: OpaquePointer?) -> String {
        // The primary message alone: the full text adds `LINE 1: …` and a caret on lines of their own.
        if let result, let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))) {
            return String(cString: primary)
        }
        return PostgresAddress.firstLine(conn.map { String(cString: PQerrorMessage($0)) } ?? "not connected")
    }

    func failure(_ message: String) -> LedgerError {
        LedgerError("\(address.displayName): \(address.redact(message))")
    }
}
