import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerStore

/// Issue 12, item 5: filtered lists over the bundled sample's ledger, newest first, with cursor pages.
@Suite struct RunListTests {
    @Test func filtersAndPagesAgreeWithTheRecords() throws {
        let dir = TempDir()
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"))
        let all = try ledger.runs()
        var ff = RunFilter()
        ff.falseFailure = true
        #expect(try ledger.allRuns(ff).map(\.runId) == all.filter(\.falseFailure).map(\.runId))
        var mm = RunFilter()
        mm.mismatch = .field("turns")
        #expect(
            try ledger.allRuns(mm).map(\.runId)
                == all.filter { $0.mismatch.values.contains { $0.contains("turns") } }.map(\.runId))
        let counts = try ledger.counts(RunFilter())
        #expect(counts.runs == all.count && counts.falseFailures == all.filter(\.falseFailure).count)
        #expect(counts.mismatches == all.filter { !$0.mismatch.isEmpty }.count)
        // Pages of 7, newest first, cover every run once.
        var seen: [String] = []
        var page = RunPage(limit: 7)
        for _ in 0..<100 {
            let (runs, next) = try ledger.runs(RunFilter(), page: page)
            seen += runs.map(\.runId)
            guard let next else { break }
            page.cursor = next
        }
        #expect(seen == all.reversed().map(\.runId))
        var prefix = RunFilter()
        prefix.idPrefix = String(all[0].runId.prefix(6))
        #expect(try ledger.allRuns(prefix).map(\.runId).contains(all[0].runId))
    }
}
