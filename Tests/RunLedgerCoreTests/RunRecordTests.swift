import Testing

@testable import RunLedgerCore

@Suite struct RunRecordTests {
    @Test func valuesAreFinalValuesNotSums() {
        var r = RunRecord(runId: "r")
        r.apply(.started, at: 0, attribution: .exact)
        for _ in 0..<3 { r.apply(.cost(nano: 409_300_000, .report), at: 1, attribution: .burst) }
        r.apply(.turns(0, .report), at: 1, attribution: .burst)
        r.apply(.turns(10, .correction), at: 1, attribution: .burst)
        r.apply(.turns(7, .progress), at: 1, attribution: .burst)  // progress never overrides a report
        #expect(r.cost == 409_300_000)
        #expect(r.turnCount == 10)
    }

    @Test func aToolUsePrintedTwiceCountsOnce() {
        var r = RunRecord(runId: "r")
        r.apply(.toolUse(name: "Bash", id: "toolu_1"), at: nil, attribution: .exact)
        r.apply(.toolUse(name: "Bash", id: "toolu_1"), at: nil, attribution: .exact)
        r.apply(.toolUse(name: "Bash", id: "toolu_2"), at: nil, attribution: .exact)
        r.apply(.toolNames(["Bash", "LS"]), at: nil, attribution: .exact)
        #expect(r.tools.map(\.name) == ["Bash", "LS"])
        #expect(r.toolUses == 3)
        #expect(r.toolNamesKnown)
    }

    @Test func aToolUsedTwiceIsOneToolWithTwoUses() {
        var r = RunRecord(runId: "r")
        r.apply(.toolUse(name: "Read", id: "t1"), at: nil, attribution: .burst)
        r.apply(.toolUse(name: "Read", id: "t2"), at: nil, attribution: .burst)
        r.apply(.toolNames(["Read", "Read"]), at: nil, attribution: .burst)
        r.apply(.toolCount(2), at: nil, attribution: .burst)  // `Tools executed: 2` counts uses
        #expect(r.tools.map(\.name) == ["Read"])
        #expect(r.toolUses == 2)
        #expect(r.toolNamesKnown)
    }

    @Test func aCountWithoutNamesLeavesNamesUnknown() {
        var r = RunRecord(runId: "r")
        r.apply(.toolCount(5), at: nil, attribution: .burst)
        #expect(r.toolCount == 5)
        #expect(!r.toolNamesKnown)
    }

    @Test func tokenKindsAlwaysSumToTheTotal() {
        var r = RunRecord(runId: "r")
        r.apply(.tokens(.input, 3980, .report), at: nil, attribution: .exact)
        r.apply(.tokens(.output, 1802, .report), at: nil, attribution: .exact)
        r.apply(.tokens(.cacheUnsplit, 120_682, .report), at: nil, attribution: .exact)
        r.apply(.tokens(.total, 126_464, .report), at: nil, attribution: .exact)
        #expect(r.totalTokens == 126_464)
        #expect(r.tokens.byKind.reduce(0) { $0 + $1.value } == 126_464)
        r.apply(.tokens(.cacheCreation, 25457, .report), at: nil, attribution: .exact)
        r.apply(.tokens(.cacheRead, 95225, .report), at: nil, attribution: .exact)
        let cache = r.tokens.byKind.first(where: { $0.kind == "cache" })?.value
        #expect(cache == 0)
        #expect(r.tokens.byKind.reduce(0) { $0 + $1.value } == 126_464)
    }

    @Test func aMismatchOnceSeenStays() {
        var r = RunRecord(runId: "r")
        r.apply(.cost(nano: 5, .report), at: nil, attribution: .exact)
        r.apply(.ended(.completed, .correction), at: 10, attribution: .exact)
        r.apply(
            .report(source: "log", Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)), at: nil,
            attribution: .exact)
        r.apply(
            .report(source: "log", Report(costNano: 5, totalTokens: 0, turns: 0, tools: 0)), at: nil,
            attribution: .exact)
        #expect(r.mismatch == ["log": ["cost"]])
        #expect(r.reported["log"]?.costNano == 5)
    }

    @Test func durationComesFromTheAnchors() {
        var r = RunRecord(runId: "r")
        r.apply(.started, at: 1_000, attribution: .exact)
        r.apply(.ended(.failed, .correction), at: 4_500, attribution: .exact)
        #expect(r.durationMs == 3_500)
    }
}

@Suite struct ContributionTests {
    @Test func aRunContributesItsValuesAndOneHistogramObservation() {
        var r = RunRecord(runId: "r")
        r.apply(.workflow("builder", .report), at: nil, attribution: .exact)
        r.apply(.started, at: 0, attribution: .exact)
        r.apply(.cost(nano: 300_000_000, .report), at: nil, attribution: .burst)
        r.apply(.turns(7, .report), at: nil, attribution: .burst)
        r.apply(.ended(.completed, .correction), at: 2_000, attribution: .exact)
        var labeler = ToolLabeler()
        let v = Contribution.of(r, tools: &labeler)
        #expect(v[SeriesKey("agent_workflow_runs_started_total", ["builder"])] == 1)
        #expect(v[SeriesKey("agent_workflow_runs_finished_total", ["builder", "completed"])] == 1)
        #expect(v[SeriesKey("agent_workflow_runs_active", ["builder"])] == nil)
        #expect(v[SeriesKey("agent_workflow_cost_usd_total", ["builder"])] == 300_000_000)
        // Buckets are cumulative: 0.3 USD is in le=0.5 and above, not in le=0.25.
        #expect(v[SeriesKey("agent_workflow_run_cost_usd_bucket", ["builder", "0.25"])] == nil)
        #expect(v[SeriesKey("agent_workflow_run_cost_usd_bucket", ["builder", "0.5"])] == 1)
        #expect(v[SeriesKey("agent_workflow_run_cost_usd_bucket", ["builder", "+Inf"])] == 1)
        #expect(v[SeriesKey("agent_workflow_run_duration_seconds_sum", ["builder"])] == 2_000)
    }

    @Test func toolLabelsAreCapped() {
        var labeler = ToolLabeler(cap: 2)
        #expect(labeler.label("A") == "A")
        #expect(labeler.label("B") == "B")
        #expect(labeler.label("C") == "other")
        #expect(labeler.label("A") == "A")
    }
}

/// The semantics the audit of the executor's releases asked for (docs/records.md).
@Suite struct ValueSemanticsTests {
    func fold(_ effects: [Effect]) -> RunRecord {
        var r = RunRecord(runId: "r")
        for e in effects { r.apply(e, at: nil, attribution: .burst) }
        return r
    }

    @Test func theMostPreciseCostWinsOverARoundedPrintOfItInEitherOrder() {
        // M5: `Extracted metrics: cost=1.2783756999999998` then `  - Cost: $1.2784` (HEAD).
        let precise = Effect.cost(nano: 1_278_375_700, .report), rounded = Effect.cost(nano: 1_278_400_000, .report)
        #expect(fold([precise, rounded]).cost == 1_278_375_700)
        #expect(fold([rounded, precise]).cost == 1_278_375_700)
        // A later value that is not the same amount printed coarser replaces the earlier one.
        #expect(fold([precise, .cost(nano: 1_500_000_000, .report)]).cost == 1_500_000_000)
        #expect(fold([precise, .cost(nano: 1_278_300_000, .report)]).cost == 1_278_300_000)
        // Rank still comes first: a progress print never replaces a report.
        #expect(fold([precise, .cost(nano: 1_300_000_000, .progress)]).cost == 1_278_375_700)
    }

    @Test func theCLIsTurnCountWinsOverTheExecutorsInEitherOrder() {
        // M8: HEAD's `Completed successfully - Turns: 3` counts AssistantMessages; the result says 2.
        for effects in [[Effect.turns(3, .report), .turns(2, .result)], [.turns(2, .result), .turns(3, .report)]] {
            let r = fold(effects)
            #expect(r.turnCount == 2)
            #expect(r.turnsSource == "result")
        }
        // A result that says 0 turns has not said: the executor's correction stands (bug era, A19).
        let r = fold([.turns(0, .result), .turns(10, .correction)])
        #expect(r.turnCount == 10)
        #expect(r.turnsSource == "executor")
        #expect(fold([]).turnsSource == nil)
    }

    @Test func toolUsesAreCountedOnlyWhereEachUseIsShown() {
        // M7: `Captured tool usage - X` lines name each tool once, whatever the number of uses.
        let names = fold([.toolNames(["Read"]), .toolNames(["Bash"]), .toolNames(["Read"])])
        #expect(names.toolCount == 2)
        #expect(!names.toolUsesKnown)
        // stream-json assistant messages show every use, none included.
        let uses = fold([
            .toolUse(name: "Read", id: "a"), .toolUsesShown, .toolUse(name: "Read", id: "b"), .toolUsesShown,
        ])
        #expect(uses.toolUsesKnown)
        #expect(uses.toolUses == 2)
        #expect(fold([.toolUsesShown]).toolUsesKnown)
        // A stated count of more distinct tools than the uses show means some uses were not shown.
        #expect(!fold([.toolUse(name: "Read", id: "a"), .toolUsesShown, .toolCount(2)]).toolUsesKnown)
    }

    @Test func aBareTotalIsATotalNotCacheTokens() {
        // M6: `  - Tokens: 118435 total` splits nothing.
        let bare = fold([.tokens(.total, 118_435, .report)])
        #expect(bare.totalTokens == 118_435)
        #expect(bare.tokens.byKind.first { $0.kind == "unknown" }?.value == 118_435)
        #expect(bare.tokens.byKind.first { $0.kind == "cache" }?.value == 0)
        // A total split into in and out: the rest is cache (the executor's total includes it).
        let split = fold([
            .tokens(.total, 48213, .report), .tokens(.input, 17, .report), .tokens(.output, 1422, .report),
        ])
        #expect(split.tokens.byKind.first { $0.kind == "cache" }?.value == 46774)
        #expect(split.tokens.byKind.first { $0.kind == "unknown" }?.value == 0)
        #expect(split.tokens.byKind.reduce(0) { $0 + $1.value } == 48213)
    }

    @Test func anOlderResultsCostUSDIsRead() {
        // anthropics/claude-code-action test/fixtures/sample-turns.json: `cost_usd`, no `total_cost_usd`.
        let x = extract(#"{"type":"result","subtype":"success","cost_usd":0.0347,"is_error":false,"session_id":"s"}"#)
        #expect(x.effects == [.cost(nano: 34_700_000, .report)])
    }
}
