import Foundation
import RunLedgerCore

/// The outbox in PostgreSQL (`OutboxStore`): an instance's notifier sends the deliveries its commits
/// raised; `runledger alerts` lists the fleet's.
extension PostgresLedger {
    public func dueDeliveries(nowMs: Int64, limit: Int) throws -> [Delivery] {
        try deliveries(
            "d.instance = $1 AND d.state = 'pending' AND d.next_attempt_ms <= $2", [instance, String(nowMs)],
            limit: limit, newestFirst: false)
    }

    public func allDeliveries(state: Delivery.State?, limit: Int) throws -> [Delivery] {
        guard let state else { return try deliveries("true", [], limit: limit, newestFirst: true) }
        return try deliveries("d.state = $1", [state.rawValue], limit: limit, newestFirst: true)
    }

    public func pendingDeliveryCount() throws -> Int {
        Int(
            try db.scalar(
                "SELECT count(*) FROM deliveries WHERE instance = $1 AND state = 'pending'", [instance]) ?? "") ?? 0
    }

    public func recordAttemptStart(_ d: Delivery) throws {
        try db.command(
            """
            UPDATE deliveries SET attempts = $1, first_attempt_ms = $2
            WHERE alert_id = $3 AND sink = $4 AND state = 'pending'
            """, [String(d.attempts), d.firstAttemptMs.map(String.init), String(d.alertId), d.sink])
    }

    public func record(_ d: Delivery, rollupDelta: SeriesValues) throws {
        try db.exec("BEGIN")
        do {
            try db.command(
                """
                UPDATE deliveries SET state = $1, attempts = $2, next_attempt_ms = $3, last_error = $4
                WHERE alert_id = $5 AND sink = $6
                """,
                [
                    d.state.rawValue, String(d.attempts), String(d.nextAttemptMs), d.lastError, String(d.alertId),
                    d.sink,
                ])
            try addRollups(rollupDelta)
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
    }

    private func deliveries(_ condition: String, _ values: [String?], limit: Int, newestFirst: Bool) throws
        -> [Delivery]
    {
        let rows = try db.query(
            """
            SELECT d.alert_id, d.sink, d.state, d.attempts, d.next_attempt_ms, d.last_error, o.alert, d.first_attempt_ms
            FROM deliveries d JOIN outbox o ON o.id = d.alert_id WHERE \(condition)
            ORDER BY d.alert_id \(newestFirst ? "DESC" : "ASC"), d.sink LIMIT \(max(0, limit))
            """, values)
        return try rows.map { row in
            let alert = try decoder.decode(Alert.self, from: Data((row[6] ?? "").utf8))
            return Delivery(
                alertId: row[0].flatMap { Int64($0) } ?? 0, sink: row[1] ?? "",
                state: row[2].flatMap(Delivery.State.init(rawValue:)) ?? .pending,
                attempts: row[3].flatMap { Int($0) } ?? 0, nextAttemptMs: row[4].flatMap { Int64($0) } ?? 0,
                lastError: row[5], alert: alert, firstAttemptMs: row[7].flatMap { Int64($0) })
        }
    }
}

extension PostgresLedger: LedgerStore, LedgerQueries, OutboxStore {}

/// A PostgreSQL ledger (`--db postgresql://…`, `postgres://…` or libpq's `host=… dbname=…`): each
/// connection is a `PostgresLedger` of its own, under this process's instance name.
public struct PostgresLedgerBackend: LedgerBackend {
    public let address: PostgresAddress
    public let instance: String

    public init(_ conninfo: String, instance: String) throws {
        // libpq takes its schemes in lower case only; a URL's scheme is any case (RFC 3986).
        var conninfo = conninfo
        if let end = conninfo.range(of: "://")?.lowerBound, conninfo[..<end].lowercased().hasPrefix("postgres") {
            conninfo = conninfo[..<end].lowercased() + conninfo[end...]
        }
        address = try PostgresAddress(conninfo)
        self.instance = instance
    }

    public var location: String { address.displayName }

    public func openWriter() throws -> any LedgerStore & LedgerQueries & OutboxStore {
        try PostgresLedger(address, instance: instance, role: .writer)
    }

    public func openReader() throws -> any LedgerQueries {
        try PostgresLedger(address, instance: instance, role: .reader)
    }

    public func openOutbox() throws -> any OutboxStore {
        try PostgresLedger(address, instance: instance, role: .outbox)
    }
}
