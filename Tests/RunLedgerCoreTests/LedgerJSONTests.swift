import Foundation
import Testing

@testable import RunLedgerCore

/// The hand-written stored form must read back, with `JSONDecoder`, as the same record that
/// `JSONEncoder` would have stored: old and new ledgers hold interchangeable records.
@Suite struct LedgerJSONTests {
    func roundTrip(_ r: RunRecord) throws {
        let hand = try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8))
        #expect(hand == r)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        #expect(r.ledgerJSON == String(decoding: try e.encode(r), as: UTF8.self))
    }

    @Test func anEmptyRecordReadsBack() throws {
        let r = RunRecord(runId: "r-1")
        #expect(try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8)) == r)
        try roundTrip(r)
    }

    @Test func aFullRecordReadsBack() throws {
        var r = RunRecord(runId: "run \"quoted\" \\ back\nslash\u{1}")
        r.apply(.started, at: 1_750_000_000_000, attribution: .exact)
        r.apply(.workflow("builder", .report), at: nil, attribution: .exact)
        r.apply(.dbId("db-1"), at: nil, attribution: .exact)
        r.apply(.session("s-1"), at: nil, attribution: .exact)
        r.apply(.cost(nano: 409_300_000, .report), at: 2, attribution: .burst)
        r.apply(.turns(10, .correction), at: 2, attribution: .burst)
        for f in TokenField.allCases { r.apply(.tokens(f, 7, .report), at: 2, attribution: .burst) }
        r.apply(.toolUse(name: "Bash", id: "toolu_1"), at: nil, attribution: .burst)
        r.apply(.toolNames(["Bash", "LS", "mcp__git__git_status"]), at: nil, attribution: .burst)
        r.apply(.toolCount(5), at: nil, attribution: .burst)
        r.apply(.taskgroupError, at: nil, attribution: .burst)
        r.apply(.ended(.failed, .correction), at: 1_750_000_009_000, attribution: .exact)
        r.apply(
            .report(source: "log", Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)), at: nil,
            attribution: .exact)
        r.apply(
            .report(source: "db", Report(costNano: 0, totalTokens: 3, turns: 0, tools: 1)), at: nil, attribution: .exact
        )
        r.apply(.workflowUnknown, at: nil, attribution: .exact)
        r.attribution = .ambiguous
        #expect(!r.mismatch.isEmpty && r.reported.count == 2)
        try roundTrip(r)
    }
}
