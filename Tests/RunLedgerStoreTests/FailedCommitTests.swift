import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerServer
@testable import RunLedgerStore

/// Issue 13, finding 6: a commit that fails part-way through a pass (the disk full) left the live
/// `/metrics` short of the ledger by the commits before it (22,054 runs started live, 30,000 in the
/// ledger) until a restart. The writer now tells each commit's change after its transaction, so the
/// live metrics hold exactly what committed.
@Suite struct FailedCommitTests {
    @Test func afterAFailedCommitTheLiveMetricsEqualTheLedgerAgain() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let sample = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
        try sample.write(toFile: log, atomically: true, encoding: .utf8)
        let ledger = try Ledger(path: dir.file("l.db"))
        let live = LiveMetrics(
            rollups: try ledger.rollups(), workflows: [], sources: [log], build: .unknown(version: "t"))
        // Commits every 40 lines; the database may grow by a few pages only: SQLite answers SQLITE_FULL,
        // as on a full disk, after some commits of the pass went through.
        let writer = LedgerWriter(store: ledger)
        writer.observe { live.apply($0.changes) }
        let follower = Follower(patterns: [log], writer: writer, options: utcOptions(batchLines: 40))
        var pages: Int64 = 0
        try ledger.db.prepare("PRAGMA page_count").query { pages = $0.int(0) }
        try ledger.db.exec("PRAGMA max_page_count = \(pages + 12)")
        var updates: [SourceUpdate] = []
        follower.pass { updates.append($0) }
        let failed = try #require(updates.last)
        #expect(!failed.up, "the commit should have failed: \(failed)")
        let truth = LiveMetrics(
            rollups: try ledger.rollups(), workflows: [], sources: [log], build: .unknown(version: "t"))
        #expect(try ledger.runCount() > 0, "some commits went through before the failure")
        // The writer told only the commits that went through, each after its transaction.
        #expect(live.render() == truth.render())
    }
}
