import CSQLite
import Foundation
import RunLedgerCore

/// The outbox in SQLite (`OutboxStore`): what is due, and what happened to each delivery.
extension Ledger {
    /// Pending deliveries whose next attempt is due at `nowMs`, oldest first.
    public func dueDeliveries(nowMs: Int64, limit: Int = 100) throws -> [Delivery] {
        try deliveries(
            where: "d.state = 'pending' AND d.next_attempt_ms <= ?", [.int(nowMs)], limit: limit, withFirstAttempt: true
        )
    }

    /// Every delivery (for `runledger alerts`), newest alert first; optionally one state only.
    public func allDeliveries(state: Delivery.State? = nil, limit: Int = 1000) throws -> [Delivery] {
        if let state {
            return try deliveries(where: "d.state = ?", [.text(state.rawValue)], limit: limit, newestFirst: true)
        }
        return try deliveries(where: "1 = 1", [], limit: limit, newestFirst: true)
    }

    public func pendingDeliveryCount() throws -> Int {
        var n = 0
        try db.prepare("SELECT count(*) FROM deliveries WHERE state = 'pending'").query { n = Int($0.int(0)) }
        return n
    }

    /// Records that an attempt starts, before its request: a process killed mid-request still counts
    /// the attempt (the receiver saw it) and keeps its first-attempt time, so the retry bound holds
    /// across restarts.
    public func recordAttemptStart(_ d: Delivery) throws {
        try db.prepare(
            "UPDATE deliveries SET attempts = ?, first_attempt_ms = ? WHERE alert_id = ? AND sink = ? AND state = 'pending'"
        ).run([.int(Int64(d.attempts)), .optional(d.firstAttemptMs), .int(d.alertId), .text(d.sink)])
    }

    /// Records an attempt's outcome and the change of `runledger_alerts_total`, in one transaction.
    public func record(_ d: Delivery, rollupDelta: SeriesValues) throws {
        try db.exec("BEGIN IMMEDIATE")
        do {
            try db.prepare(
                "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ? WHERE alert_id = ? AND sink = ?"
            ).run([
                .text(d.state.rawValue), .int(Int64(d.attempts)), .int(d.nextAttemptMs),
                d.lastError.map(SQLValue.text) ?? .null,
                .int(d.alertId), .text(d.sink),
            ])
            for (key, delta) in rollupDelta where delta != 0 {
                try db.prepare(
                    "INSERT INTO rollups(series, value) VALUES (?, ?) ON CONFLICT(series) DO UPDATE SET value = value + excluded.value"
                ).run([.text(key.encoded), .int(delta)])
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
    }

    /// `withFirstAttempt` only for the notifier, which migrated the ledger: `runledger alerts` may read
    /// a ledger of schema 2 read-only, before the column exists.
    private func deliveries(
        where condition: String, _ values: [SQLValue], limit: Int, newestFirst: Bool = false,
        withFirstAttempt: Bool = false
    ) throws -> [Delivery] {
        let sql = """
            SELECT d.alert_id, d.sink, d.state, d.attempts, d.next_attempt_ms, d.last_error, o.alert,
                \(withFirstAttempt ? "d.first_attempt_ms" : "NULL")
            FROM deliveries d JOIN outbox o ON o.id = d.alert_id WHERE \(condition)
            ORDER BY d.alert_id \(newestFirst ? "DESC" : "ASC"), d.sink LIMIT \(max(0, limit))
            """
        var out: [Delivery] = []
        let decoder = JSONDecoder()
        try db.prepare(sql).query(values) { row in
            let alert = try decoder.decode(Alert.self, from: Data(row.text(6).utf8))
            out.append(
                Delivery(
                    alertId: row.int(0), sink: row.text(1), state: Delivery.State(rawValue: row.text(2)) ?? .pending,
                    attempts: Int(row.int(3)), nextAttemptMs: row.int(4), lastError: row.optionalText(5), alert: alert,
                    firstAttemptMs: row.optionalInt(7)))
        }
        return out
    }
}
