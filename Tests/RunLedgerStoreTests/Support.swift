import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerStore

/// A fresh directory for one test, removed when the value goes away.
final class TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "runledger-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The shared samples (`../shared/samples/automagik` beside the repository), or the copies in
    /// `examples/` when the repository stands alone (a CI clone elsewhere).
    static var samples: URL {
        let shared = root.deletingLastPathComponent().appendingPathComponent("shared/samples/automagik")
        return FileManager.default.fileExists(atPath: shared.appendingPathComponent("executor.log").path)
            ? shared : root.appendingPathComponent("examples")
    }
    static var sampleLog: String { samples.appendingPathComponent("executor.log").path }
    static var executorDB: String { samples.appendingPathComponent("workflow_runs.db").path }
}

func utcOptions(batchLines: Int = 20_000) -> FileIngest.Options {
    var o = FileIngest.Options()
    o.envelopes = EnvelopeParser(utcOffsetSeconds: 0)
    o.batchLines = batchLines
    return o
}

/// Replays `path` into the ledger at `db` and returns the runs as JSON and the rollups.
@discardableResult
func replay(_ path: String, into db: String, options: FileIngest.Options = utcOptions(), source: String = "log") throws
    -> Ledger
{
    let ledger = try Ledger(path: db)
    let ingest = FileIngest(path: path, sourceName: source, writer: LedgerWriter(store: ledger), options: options)
    try ingest.open()
    try ingest.readAvailable()
    return ledger
}

/// Reads `source` to its end into `store` (any `LedgerStore`) through a new `FileIngest`, as `replay` does.
func replay(
    _ path: String, into store: any LedgerStore, options: FileIngest.Options = utcOptions(), source: String = "log"
)
    throws
{
    let ingest = FileIngest(path: path, sourceName: source, writer: LedgerWriter(store: store), options: options)
    try ingest.open()
    try ingest.readAvailable()
}

/// One poll of `source`, folded and committed as `replay` does.
@discardableResult
func poll(
    _ source: any ReportSource, into store: any LedgerStore & LedgerQueries, options: FileIngest.Options = utcOptions()
) throws
    -> ReportPoller.Outcome
{
    let outcome = try ReportPoller(source: source, reader: store).pollOnce()
    try LedgerWriter(store: store, options: options).apply(outcome.facts)
    return outcome
}

/// One look of the stall watch, folded and committed as `replay` does.
func checkStalls(in store: any LedgerStore & LedgerQueries, options: FileIngest.Options, nowMs: Int64? = nil) throws {
    guard let stalls = try StallWatch(reader: store, options: options).checkOnce(nowMs: nowMs) else { return }
    try LedgerWriter(store: store, options: options).apply(stalls)
}

func snapshot(_ ledger: any LedgerQueries) throws -> (runs: String, rollups: [String: Int64]) {
    // Which instance wrote a run is the PostgreSQL ledger's alone: compared without it.
    let runs = RunView.json(
        try ledger.runs(RunQuery()).map { r in
            var r = r
            r.instance = nil
            return r
        })
    var rollups: [String: Int64] = [:]
    for (k, v) in try ledger.rollups() where v != 0 { rollups[k.encoded] = v }
    return (runs, rollups)
}
