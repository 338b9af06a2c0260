import Foundation
import RunLedgerCore

/// Moves an SQLite ledger into another, empty one (`runledger migrate --from data/runledger.db --to
/// postgresql://…`): its runs in the order first written, its rollups, each source's position with
/// the correlator's state and open bursts, its unattributed facts, and its outbox (each alert once,
/// each delivery in the state it was in, attempts and times included), so that the host goes on from
/// the new ledger as if it had always written it: nothing is read twice, no alert is sent again.
///
/// Through the target's own protocols (`LedgerStore`, `OutboxStore`): any backend can be the target.
/// It is not one transaction: an interrupted migration leaves a partial target, which a second one
/// refuses (the target must hold no run and no position); drop it and run again.
public struct LedgerMigration {
    public struct Counts: Sendable, Equatable {
        public var runs = 0
        public var positions = 0
        public var alerts = 0
        public var deliveries = 0
        public var unattributed = 0
    }

    /// Runs per transaction: a replayed ledger holds millions, and one batch holds its runs in memory.
    static let runsPerBatch = 2000

    public static func copy(
        from source: Ledger, to target: any LedgerStore & LedgerQueries & OutboxStore,
        targetName: String
    ) throws -> Counts {
        guard try target.runCount() == 0, try target.positions().isEmpty else {
            throw LedgerError(
                "\(targetName): the target ledger already holds runs or positions; migrate into an empty one")
        }
        var counts = Counts()
        var batch = LedgerBatch()
        batch.rollupDelta = try source.rollups()
        for run in try source.allRuns(RunFilter()) {
            batch.runs.append(run)
            if batch.runs.count == runsPerBatch {
                counts.runs += batch.runs.count
                try target.commit(batch)
                batch = LedgerBatch()
            }
        }
        batch.unattributed = try source.unattributedFacts()
        counts.unattributed = batch.unattributed.count
        counts.runs += batch.runs.count
        try target.commit(batch)

        // Alerts grouped by the sinks they went to: a batch's routes apply to all of its alerts.
        let outbox = try source.outboxForMigration()
        var bySinks: [[String]: [Alert]] = [:]
        for entry in outbox.alerts { bySinks[entry.sinks, default: []].append(entry.alert) }
        for (sinks, alerts) in bySinks.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var b = LedgerBatch()
            b.alerts = alerts
            b.routes = sinks.map { AlertRoute(sink: $0) }
            try target.commit(b)
        }
        counts.alerts = outbox.alerts.count
        // Each delivery as it was: the target numbers its alerts anew, so they are found by dedup key.
        var ids: [String: Int64] = [:]
        for d in try target.allDeliveries(state: nil, limit: Int(Int32.max)) {
            ids["\(d.alert.dedupKey)\u{0}\(d.sink)"] = d.alertId
        }
        for var d in outbox.deliveries {
            guard let id = ids["\(d.alert.dedupKey)\u{0}\(d.sink)"] else {
                throw LedgerError("\(targetName): the delivery of \(d.alert.dedupKey) to \(d.sink) did not arrive")
            }
            d.alertId = id
            try target.recordAttemptStart(d)
            try target.record(d, rollupDelta: [:])
            counts.deliveries += 1
        }

        for position in try source.positions() {
            var b = LedgerBatch()
            b.position = position
            try target.commit(b)
            counts.positions += 1
        }
        return counts
    }
}

extension Ledger {
    /// Every unattributed fact kept, in the order kept.
    func unattributedFacts() throws -> [(source: String, line: Int64, group: UnattributedGroup)] {
        var out: [(String, Int64, UnattributedGroup)] = []
        try db.prepare("SELECT source, line, reason, facts FROM unattributed ORDER BY id").query { row in
            let facts = try decoder.decode([PendingFact].self, from: Data(row.text(3).utf8))
            out.append((row.text(0), row.int(1), UnattributedGroup(reason: row.text(2), facts: facts)))
        }
        return out
    }

    /// The outbox whole: each alert (oldest first) with the sinks it has a delivery for, and every
    /// delivery with its state, attempts and times.
    func outboxForMigration() throws -> (alerts: [(alert: Alert, sinks: [String])], deliveries: [Delivery]) {
        var alerts: [(Int64, Alert)] = []
        try db.prepare("SELECT id, alert FROM outbox ORDER BY id").query { row in
            alerts.append((row.int(0), try decoder.decode(Alert.self, from: Data(row.text(1).utf8))))
        }
        var deliveries: [Delivery] = []
        var sinks: [Int64: [String]] = [:]
        let byId = Dictionary(alerts, uniquingKeysWith: { a, _ in a })
        try db.prepare(
            """
            SELECT alert_id, sink, state, attempts, next_attempt_ms, last_error, first_attempt_ms
            FROM deliveries ORDER BY alert_id, sink
            """
        ).query { row in
            guard let alert = byId[row.int(0)] else { return }
            sinks[row.int(0), default: []].append(row.text(1))
            deliveries.append(
                Delivery(
                    alertId: row.int(0), sink: row.text(1), state: Delivery.State(rawValue: row.text(2)) ?? .pending,
                    attempts: Int(row.int(3)), nextAttemptMs: row.int(4), lastError: row.optionalText(5), alert: alert,
                    firstAttemptMs: row.optionalInt(6)))
        }
        return (alerts.map { ($0.1, sinks[$0.0] ?? []) }, deliveries)
    }
}
