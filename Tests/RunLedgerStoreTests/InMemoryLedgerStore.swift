import Foundation
import RunLedgerCore
import RunLedgerStore
import Synchronization

/// A ledger in dictionaries: the second backend issue 14 asks for, to show that the ingest path, the
/// HTTP API, the pages, the commands and the notifier need nothing of SQLite. It keeps what the SQLite
/// ledger keeps (runs in the order first written, rollups, positions with the correlator's state,
/// unattributed facts, the outbox's alerts and deliveries) and applies a batch atomically: the new
/// state is built aside and swapped in only when all of it is there. Its state is behind a lock: the
/// HTTP readers and the notifier use the store from threads of their own.
final class InMemoryLedgerStore: LedgerStore, LedgerQueries, OutboxStore, Sendable {
    struct Outboxed: Equatable {
        var alert: Alert
        var sinks: [String]
    }

    private struct State {
        var runsById: [String: RunRecord] = [:]
        /// Run ids in the order first written (SQLite's rowid order: an upsert keeps a run's row); a
        /// run's place here, from 1, is the cursor of the lists' pages.
        var order: [String] = []
        var series: SeriesValues = [:]
        var positionsBySource: [String: SourcePosition] = [:]
        var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
        /// Alerts in the order raised, each dedup key once; an alert's id is its place here, from 1.
        var alerts: [Alert] = []
        var dedupKeys: Set<String> = []
        /// One per alert and sink whose route accepted it, in the order raised.
        var deliveries: [Delivery] = []
        /// How many batches landed (an empty one writes nothing, as in SQLite).
        var commits = 0

        var records: [RunRecord] { order.compactMap { runsById[$0] } }
    }

    private let state = Mutex(State())

    var runsById: [String: RunRecord] { state.withLock { $0.runsById } }
    var positionsBySource: [String: SourcePosition] { state.withLock { $0.positionsBySource } }
    var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] { state.withLock { $0.unattributed } }
    var commits: Int { state.withLock { $0.commits } }
    /// Each alert with the sinks it is delivered to.
    var outbox: [Outboxed] {
        state.withLock { s in
            s.alerts.enumerated().map { i, alert in
                Outboxed(alert: alert, sinks: s.deliveries.filter { $0.alertId == Int64(i + 1) }.map(\.sink))
            }
        }
    }

    // MARK: LedgerStore

    func run(_ id: String) throws -> RunRecord? { state.withLock { $0.runsById[id] } }

    func rollups() throws -> SeriesValues { state.withLock { $0.series } }

    func position(of source: String) throws -> SourcePosition? { state.withLock { $0.positionsBySource[source] } }

    func positionNames(device: UInt64, inode: UInt64) throws -> [String] {
        // A file identity's text starts `DEV:INO:` (then the fingerprint).
        let prefix = "\(device):\(inode):"
        return try positions().filter { $0.identity.hasPrefix(prefix) }.map(\.source)
    }

    func commit(_ batch: LedgerBatch) throws {
        guard !batch.isEmpty else { return }
        state.withLock { current in
            var s = current
            for r in batch.runs {
                if s.runsById.updateValue(r, forKey: r.runId) == nil { s.order.append(r.runId) }
            }
            for (key, delta) in batch.rollupDelta where delta != 0 { s.series[key, default: 0] += delta }
            for alert in batch.alerts where s.dedupKeys.insert(alert.dedupKey).inserted {
                s.alerts.append(alert)
                var sinks: [String] = []
                for route in batch.routes where route.accepts(alert) && !sinks.contains(route.sink) {
                    sinks.append(route.sink)
                    s.deliveries.append(Delivery(alertId: Int64(s.alerts.count), sink: route.sink, alert: alert))
                }
            }
            if let p = batch.position { s.positionsBySource[p.source] = p }
            s.unattributed += batch.unattributed
            s.commits += 1
            // Nothing above can fail halfway; the swap is the commit.
            current = s
        }
    }

    func endedRuns(reportedBy source: String, unreportedOnly: Bool) throws -> [(runId: String, report: Report?)] {
        let ended = state.withLock { $0.records }.filter { RunStatus.terminal.contains($0.currentStatus) }
            .filter { !unreportedOnly || $0.reported[source] == nil }
        // SQLite's `ORDER BY ended_at_ms DESC, run_id DESC`: a run without an end time sorts last.
        return
            ended.sorted { a, b in
                let (x, y) = (a.endedAtMs ?? .min, b.endedAtMs ?? .min)
                return x != y ? x > y : a.runId > b.runId
            }
            .map { ($0.runId, $0.reported[source]) }
    }

    func runs(_ query: RunQuery) throws -> [RunRecord] {
        let all = state.withLock { $0.records }
        guard let status = query.status else { return all }
        return all.filter { $0.currentStatus == status }
    }

    func latestRunTimeMs() throws -> Int64? {
        // As the SQLite ledger does: the last thousand runs written tell where the log's clock stood.
        let last = state.withLock { s in s.order.suffix(1000).compactMap { s.runsById[$0] } }
        let latest = last.map { max($0.startedAtMs ?? 0, $0.endedAtMs ?? 0) }.max() ?? 0
        return latest > 0 ? latest : nil
    }

    // MARK: LedgerQueries (filters through Core's `RunFilter.matches`)

    func runs(_ filter: RunFilter, page: RunPage) throws -> (runs: [RunRecord], next: Int64?) {
        let records = state.withLock { $0.records }
        let limit = max(1, page.limit)
        var shown: [(cursor: Int64, run: RunRecord)] = []
        for (i, r) in records.enumerated().reversed() where filter.matches(r) {
            let cursor = Int64(i + 1)
            if let before = page.cursor, cursor >= before { continue }
            shown.append((cursor, r))
            if shown.count > limit { break }
        }
        guard shown.count > limit else { return (shown.map(\.run), nil) }
        shown.removeLast()
        return (shown.map(\.run), shown.last?.cursor)
    }

    func allRuns(_ filter: RunFilter) throws -> [RunRecord] { state.withLock { $0.records }.filter(filter.matches) }

    func counts(_ filter: RunFilter) throws -> RunCounts {
        let runs = try allRuns(filter)
        return RunCounts(
            runs: runs.count, falseFailures: runs.filter(\.falseFailure).count,
            mismatches: runs.filter { !$0.mismatch.isEmpty }.count, stalled: runs.filter(\.isStalled).count)
    }

    func runCount() throws -> Int { state.withLock { $0.order.count } }

    func unattributedCount() throws -> Int { state.withLock { $0.unattributed.count } }

    func positions() throws -> [SourcePosition] {
        // SQLite's `ORDER BY source`: byte order.
        state.withLock { $0.positionsBySource.values }.sorted {
            $0.source.utf8.lexicographicallyPrecedes($1.source.utf8)
        }
    }

    func allDeliveries(state wanted: Delivery.State?, limit: Int) throws -> [Delivery] {
        let all = state.withLock { $0.deliveries }.filter { wanted == nil || $0.state == wanted }
        return Array(
            all.sorted { $0.alertId != $1.alertId ? $0.alertId > $1.alertId : Self.bytes($0, $1) }.prefix(limit))
    }

    // MARK: OutboxStore

    func dueDeliveries(nowMs: Int64, limit: Int) throws -> [Delivery] {
        let due = state.withLock { $0.deliveries }.filter { $0.state == .pending && $0.nextAttemptMs <= nowMs }
        return Array(
            due.sorted { $0.alertId != $1.alertId ? $0.alertId < $1.alertId : Self.bytes($0, $1) }.prefix(limit))
    }

    func pendingDeliveryCount() throws -> Int { state.withLock { $0.deliveries.filter { $0.state == .pending }.count } }

    func recordAttemptStart(_ d: Delivery) throws {
        state.withLock { s in
            guard let i = s.deliveries.firstIndex(where: { $0.alertId == d.alertId && $0.sink == d.sink }),
                s.deliveries[i].state == .pending
            else { return }
            s.deliveries[i].attempts = d.attempts
            s.deliveries[i].firstAttemptMs = d.firstAttemptMs
        }
    }

    func record(_ d: Delivery, rollupDelta: SeriesValues) throws {
        state.withLock { s in
            if let i = s.deliveries.firstIndex(where: { $0.alertId == d.alertId && $0.sink == d.sink }) {
                s.deliveries[i].state = d.state
                s.deliveries[i].attempts = d.attempts
                s.deliveries[i].nextAttemptMs = d.nextAttemptMs
                s.deliveries[i].lastError = d.lastError
            }
            for (key, delta) in rollupDelta where delta != 0 { s.series[key, default: 0] += delta }
        }
    }

    /// Deliveries of one alert by sink, in SQLite's byte order.
    private static func bytes(_ a: Delivery, _ b: Delivery) -> Bool {
        a.sink.utf8.lexicographicallyPrecedes(b.sink.utf8)
    }
}

/// The in-memory store as a backend: every connection it opens is the one store.
struct InMemoryLedgerBackend: LedgerBackend {
    let store: InMemoryLedgerStore

    var location: String { "memory://" }
    func openWriter() throws -> any LedgerStore & LedgerQueries & OutboxStore { store }
    func openReader() throws -> any LedgerQueries { store }
    func openOutbox() throws -> any OutboxStore { store }
}
