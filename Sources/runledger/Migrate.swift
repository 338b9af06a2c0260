import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerStore

/// `runledger migrate --from data/runledger.db --to postgresql://…`: a host's SQLite ledger moved into
/// a fleet's PostgreSQL one, under this host's instance name (`LedgerMigration`). Stop `serve` first:
/// the SQLite ledger is opened as its writer, so a running one is refused rather than copied mid-commit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move an SQLite ledger into an empty one (a PostgreSQL ledger a fleet shares), then check the copy.")

    @Option(name: .long, help: "The SQLite ledger to move.")
    var from: String

    @Option(name: .long, help: "The empty ledger to move it into (postgresql://…, or another SQLite path).")
    var to: String

    @Option(name: .long, help: "The instance the moved positions and rollups belong to (default: the host name).")
    var instance: String?

    func run() async throws {
        try await reportingFailures {
            guard FileManager.default.fileExists(atPath: from) else {
                throw Failure("\(from): no such ledger")
            }
            guard case let sqlite as SQLiteLedgerBackend = try LedgerBackends.open(from) else {
                throw Failure("--from \(from): the ledger to move is an SQLite file")
            }
            // As the writer: a serve still writing it is refused (one writer per ledger), so the copy is whole.
            let source = try Ledger(path: sqlite.path)
            let backend = try LedgerBackends.open(to, instance: try checkedInstance(instance, origin: "--instance"))
            let target = try backend.openWriter()
            let counts = try LedgerMigration.copy(from: source, to: target, targetName: backend.location)
            // The copy read back through the target's reader, as `runs --json` and `metrics` would.
            let reader = try backend.openReader()
            let moved = try reader.allRuns(RunFilter()).map { r in
                var r = r
                r.instance = nil
                return r
            }
            guard RunView.json(moved) == RunView.json(try source.allRuns(RunFilter())),
                try reader.rollups() == (try source.rollups()),
                try reader.positions() == (try source.positions())
            else { throw Failure("\(backend.location): the copy differs from \(from); drop it and run again") }
            print(
                "moved \(counts.runs) runs, \(counts.positions) source positions, \(counts.alerts) alerts"
                    + " (\(counts.deliveries) deliveries) and \(counts.unattributed) unattributed facts"
                    + " from \(from) to \(backend.location); checked: the same runs, rollups and positions")
        }
    }
}
