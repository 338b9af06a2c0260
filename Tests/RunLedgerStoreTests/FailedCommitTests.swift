import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerServer
@testable import RunLedgerStore

/// Issue 13, finding 6: a commit that fails part-way through a pass (the disk full) left the live
/// `/metrics` short of the ledger by the commits before it (22,054 runs started live, 30,000 in the
/// ledger) until a restart. The follower now says so and the live metrics are read again from the ledger.
@Suite struct FailedCommitTests {
    @Test func afterAFailedCommitTheLiveMetricsEqualTheLedgerAgain() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        let sample = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
        try sample.write(toFile: log, atomically: true, encoding: .utf8)
        let ledger = try Ledger(path: dir.file("l.db"))
        let live = LiveMetrics(rollups: try ledger.rollups(), workflows: [], sources: [log], version: "t")
        let applied = LiveMetrics(rollups: try ledger.rollups(), workflows: [], sources: [log], version: "t")
        // Commits every 40 lines; the database may grow by a few pages only: SQLite answers SQLITE_FULL,
        // as on a full disk, after some commits of the pass went through.
        let follower = Follower(patterns: [log], ledger: ledger, options: utcOptions(batchLines: 40))
        var pages: Int64 = 0
        try ledger.db.prepare("PRAGMA page_count").query { pages = $0.int(0) }
        try ledger.db.exec("PRAGMA max_page_count = \(pages + 12)")
        var updates: [SourceUpdate] = []
        follower.pass { updates.append($0) }
        let failed = try #require(updates.last)
        #expect(!failed.up, "the commit should have failed: \(failed)")
        #expect(failed.resync)
        for u in updates {
            if u.resync { live.reset(rollups: try ledger.rollups()) } else { live.apply(u.changes) }
            applied.apply(u.changes)
        }
        let truth = LiveMetrics(rollups: try ledger.rollups(), workflows: [], sources: [log], version: "t")
        #expect(try ledger.runCount() > 0, "some commits went through before the failure")
        #expect(live.render() == truth.render())
        // What applying the pass's changes alone shows: not the ledger (the failed pass lost its commits).
        #expect(applied.render() != truth.render())
    }
}
