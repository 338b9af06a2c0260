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
