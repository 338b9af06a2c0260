import Foundation
import Testing

@testable import RunLedgerCore

/// A record with every field set: ended (reports, mismatches, settled as unknown), or still running
/// and stalled (`stalledAtMs`, `lastLineAtMs`).
func fullRecord(_ id: String, ended: Bool = true) -> RunRecord {
    var r = RunRecord(runId: id)
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
    r.apply(.workspace(path: "/srv/worktrees/builder_run_1", branch: "builder/run_1"), at: nil, attribution: .inferred)
    r.noteLine("/var/log/automagik/debug.log", 7)
    guard ended else {
        r.apply(.stalled(atMs: 1_750_002_000_000), at: nil, attribution: .exact)
        return r
    }
    r.apply(.ended(.failed, .correction), at: 1_750_000_009_000, attribution: .exact)
    r.apply(
        .report(source: "log", Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)), at: nil,
        attribution: .exact)
    r.apply(
        .report(source: "db", Report(costNano: 0, totalTokens: 3, turns: 0, tools: 1)), at: nil, attribution: .exact)
    r.apply(.workflowUnknown, at: nil, attribution: .exact)
    r.apply(.autoCommit(.failed, detail: "fatal: \"x\""), at: nil, attribution: .exact)
    r.noteLine("/var/log/automagik/debug.log", 19)
    return r
}

/// The hand-written stored form must read back, with `JSONDecoder`, as the same record that
/// `JSONEncoder` would have stored: old and new ledgers hold interchangeable records.
@Suite struct LedgerJSONTests {
    func roundTrip(_ r: RunRecord) throws {
        let hand = try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8))
        #expect(hand == r)
        let e = JSONEncoder()
        // The hand-written form leaves `/` unescaped (worktree paths); JSON reads both alike.
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(r.ledgerJSON == String(decoding: try e.encode(r), as: UTF8.self))
    }

    @Test func anEmptyRecordReadsBack() throws {
        let r = RunRecord(runId: "r-1")
        #expect(try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8)) == r)
        try roundTrip(r)
    }

    @Test func aFullRecordReadsBack() throws {
        var r = fullRecord("run \"quoted\" \\ back\nslash\u{1}")
        r.attribution = .ambiguous
        #expect(!r.mismatch.isEmpty && r.reported.count == 2)
        try roundTrip(r)
        let stalled = fullRecord("r-2", ended: false)
        #expect(stalled.stalledAtMs != nil && stalled.lastLineAtMs != nil)
        try roundTrip(stalled)
    }
}

/// The hand-written reader gives what `JSONDecoder` gives, and declines what it does not expect.
@Suite struct LedgerJSONReaderTests {
    @Test func readsWhatJSONDecoderReads() throws {
        let empty = RunRecord(runId: "run \"q\" \\ é\n")
        #expect(RunRecord(ledgerJSON: empty.ledgerJSON) == empty)
        for r in [fullRecord("run \"q\" \\ é\n"), fullRecord("r-2", ended: false)] {
            let hand = try #require(RunRecord(ledgerJSON: r.ledgerJSON))
            #expect(hand == r)
            #expect(hand == (try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8))))
        }
    }

    @Test func declinesWhatItDoesNotExpect() {
        #expect(RunRecord(ledgerJSON: "{}") == nil)
        #expect(RunRecord(ledgerJSON: "[1]") == nil)
        var text = RunRecord(runId: "r").ledgerJSON
        text.removeLast()
        #expect(RunRecord(ledgerJSON: text + ",\"extra\":1}") == nil)
        #expect(RunRecord(ledgerJSON: text.replacingOccurrences(of: "\"runId\":\"r\",", with: "")) == nil)
    }
}

/// The correlator's hand-written saved form reads back equal with `JSONDecoder`, once the open bursts'
/// facts (which the ledger keeps apart) are put back; it is the `Codable` form without those facts.
@Suite struct CorrelatorStateJSONTests {
    @Test func readsBackEqual() throws {
        let c = Correlator(profile: .automagik)
        var out: [Attributed] = []
        let e = try Extractor(profile: .automagik)
        for line in [
            "Created workflow run record db-1 for run_id run-1",
            "SDK Executor: Starting stream-json execution for run_id: run-1, session: s-1",
            "Updated workflow_runs table for run-2 to completed",
            "\"POST /api/v1/workflows/claude-code/run/builder HTTP/1.1\" 200 OK",
            "SURGICAL SUCCESS: Persisted metrics to database for run run-1",
            "SDK Executor: Captured final metrics during streaming - Cost: $0.1087, Turns: 4",
        ] {
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBufferPointer { c.process(e.extract(UnsafeBufferPointer($0)), into: &out) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = try c.state.ledgerJSON { String(decoding: try encoder.encode($0), as: UTF8.self) }
        #expect(!c.state.segments.isEmpty && c.state.continuation != nil)
        #expect(c.state.segments.contains { !$0.facts.isEmpty })
        var read = try JSONDecoder().decode(CorrelatorState.self, from: Data(text.utf8))
        #expect(read.segments.allSatisfy { $0.facts.isEmpty }, "the facts are not in the saved form")
        read.restoreOpenBurstFacts(Dictionary(uniqueKeysWithValues: c.state.segments.map { ($0.id, $0.facts) }))
        #expect(read == c.state)
        var withoutFacts = c.state
        for i in withoutFacts.segments.indices { withoutFacts.segments[i].facts = [] }
        let codable = String(decoding: try encoder.encode(withoutFacts), as: UTF8.self)
        #expect(text == codable.replacingOccurrences(of: "\"facts\":[],", with: ""))
    }
}
