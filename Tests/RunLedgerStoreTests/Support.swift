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
    /// The shared sample (beside the repository), or the copy bundled in `examples/`.
    static var sampleLog: String {
        let shared = root.deletingLastPathComponent().appendingPathComponent("shared/samples/automagik/executor.log")
            .path
        return FileManager.default.fileExists(atPath: shared)
            ? shared : root.appendingPathComponent("examples/executor.log").path
    }
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
    let ingest = FileIngest(path: path, sourceName: source, ledger: ledger, options: options)
    try ingest.open()
    try ingest.readAvailable()
    return ledger
}

func snapshot(_ ledger: Ledger) throws -> (runs: String, rollups: [String: Int64]) {
    let runs = RunView.json(try ledger.runs())
    var rollups: [String: Int64] = [:]
    for (k, v) in try ledger.rollups() where v != 0 { rollups[k.encoded] = v }
    return (runs, rollups)
}
