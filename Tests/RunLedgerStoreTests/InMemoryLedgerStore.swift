import Foundation
import RunLedgerCore
import RunLedgerStore

/// A `LedgerStore` in dictionaries: the second backend issue 14 asks for, to show that the ingest path
/// needs nothing of SQLite. It keeps what the SQLite ledger keeps (runs in the order first written,
/// rollups, positions with the correlator's state, unattributed facts, the outbox) and applies a
/// batch atomically: the new state is built aside and swapped in only when all of it is there.
final class InMemoryLedgerStore: LedgerStore {
    struct Outboxed: Equatable {
        var alert: Alert
        var sinks: [String]
    }

    private(set) var runsById: [String: RunRecord] = [:]
    /// Run ids in the order first written (SQLite's rowid order: an upsert keeps a run's row).
    private(set) var order: [String] = []
    private(set) var series: SeriesValues = [:]
    private(set) var positionsBySource: [String: SourcePosition] = [:]
    private(set) var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
    /// Alerts in the order raised, each dedup key once, with the sinks whose route accepted it.
    private(set) var outbox: [Outboxed] = []
    private var dedupKeys: Set<String> = []
    /// How many batches landed (an empty one writes nothing, as in SQLite).
    private(set) var commits = 0

    func run(_ id: String) throws -> RunRecord? { runsById[id] }

    func rollups() throws -> SeriesValues { series }

    func position(of source: String) throws -> SourcePosition? { positionsBySource[source] }

    func positionNames(device: UInt64, inode: UInt64) throws -> [String] {
        // A file identity's text starts `DEV:INO:` (then the fingerprint).
        let prefix = "\(device):\(inode):"
        return positionsBySource.values.filter { $0.identity.hasPrefix(prefix) }.map(\.source).sorted()
    }

    func commit(_ batch: LedgerBatch) throws {
        guard !batch.isEmpty else { return }
        var runs = runsById
        var order = order
        for r in batch.runs {
            if runs.updateValue(r, forKey: r.runId) == nil { order.append(r.runId) }
        }
        var series = series
        for (key, delta) in batch.rollupDelta where delta != 0 { series[key, default: 0] += delta }
        var outbox = outbox
        var keys = dedupKeys
        for alert in batch.alerts where keys.insert(alert.dedupKey).inserted {
            outbox.append(Outboxed(alert: alert, sinks: batch.routes.filter { $0.accepts(alert) }.map(\.sink)))
        }
        var positions = positionsBySource
        if let p = batch.position { positions[p.source] = p }
        // Nothing above can fail halfway; the swap is the commit.
        runsById = runs
        self.order = order
        self.series = series
        self.outbox = outbox
        dedupKeys = keys
        positionsBySource = positions
        unattributed += batch.unattributed
        commits += 1
    }

    func endedRuns(reportedBy source: String, unreportedOnly: Bool) throws -> [(runId: String, report: Report?)] {
        let ended = order.compactMap { runsById[$0] }.filter { RunStatus.terminal.contains($0.currentStatus) }
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
        var out = order.compactMap { runsById[$0] }
        if let status = query.status { out = out.filter { $0.currentStatus == status } }
        return out
    }

    func latestRunTimeMs() throws -> Int64? {
        // As the SQLite ledger does: the last thousand runs written tell where the log's clock stood.
        let latest =
            order.suffix(1000).compactMap { runsById[$0] }
            .map { max($0.startedAtMs ?? 0, $0.endedAtMs ?? 0) }.max() ?? 0
        return latest > 0 ? latest : nil
    }
}
