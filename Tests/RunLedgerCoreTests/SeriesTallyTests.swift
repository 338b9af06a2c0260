import Testing

@testable import RunLedgerCore

/// `SeriesTally` is the fast path of `Contribution.of`: for every kind of run they must add the same
/// series with the same values.
@Suite struct SeriesTallyTests {
    func run(_ id: String, _ build: (inout RunRecord) -> Void) -> RunRecord {
        var r = RunRecord(runId: id)
        r.apply(.started, at: 1_000, attribution: .exact)
        build(&r)
        return r
    }

    var runs: [RunRecord] {
        [
            run("running-unnamed") { _ in },
            run("running") { $0.apply(.workflow("builder", .report), at: 2_000, attribution: .exact) },
            run("stalled") {
                $0.apply(.workflow("surgeon", .hint), at: 2_000, attribution: .exact)
                $0.apply(.stalled(atMs: 9_000_000), at: nil, attribution: .exact)
            },
            run("false-failure") {
                $0.apply(.workflow("genie", .report), at: 2_000, attribution: .exact)
                $0.apply(.turns(7, .report), at: 3_000, attribution: .burst)
                $0.apply(.toolUse(name: "Bash", id: "t1"), at: 3_000, attribution: .burst)
                $0.apply(.taskgroupError, at: 3_000, attribution: .burst)
                $0.apply(.ended(.failed, .correction), at: 4_000, attribution: .exact)
            },
            run("mismatch") {
                $0.apply(.workflow("lina", .report), at: 2_000, attribution: .exact)
                $0.apply(.cost(nano: 1_500_000_000, .report), at: 3_000, attribution: .exact)
                $0.apply(.tokens(.input, 900, .report), at: 3_000, attribution: .exact)
                $0.apply(.tokens(.cacheRead, 90, .report), at: 3_000, attribution: .exact)
                $0.apply(.ended(.completed, .correction), at: 64_000, attribution: .exact)
                $0.apply(
                    .report(source: "db", Report(costNano: 0, totalTokens: 0, turns: -1, tools: -1)), at: nil,
                    attribution: .exact)
            },
            run("settled-unknown") {
                $0.apply(.ended(.killed, .correction), at: 5_000, attribution: .exact)
                $0.apply(.workflowUnknown, at: nil, attribution: .exact)
            },
        ]
    }

    @Test func theTallyAddsWhatContributionOfAddsForEveryKindOfRun() {
        for r in runs {
            var a = ToolLabeler(cap: 64, admitted: []), b = ToolLabeler(cap: 64, admitted: [])
            let expected = Contribution.of(r, tools: &a).filter { $0.value != 0 }
            var tally = SeriesTally()
            tally.add(r, sign: 1, tools: &b)
            #expect(tally.values == expected, "\(r.runId)")
            var undo = SeriesTally()
            undo.add(r, sign: 1, tools: &b)
            undo.add(r, sign: -1, tools: &b)
            #expect(undo.values.isEmpty, "\(r.runId)")
        }
    }

    @Test func aStalledRunShowsOnTheStalledGaugeAndLeavesItWhenItMoves() {
        let stalled = runs[2]
        var labeler = ToolLabeler(cap: 64, admitted: [])
        var tally = SeriesTally()
        tally.add(stalled, sign: 1, tools: &labeler)
        #expect(tally.values[SeriesKey(Metrics.runsStalled.name, ["surgeon"])] == 1)
        var moving = stalled
        moving.apply(.turns(2, .progress), at: 9_100_000, attribution: .burst)
        tally.removeAll()
        tally.add(moving, sign: 1, tools: &labeler)
        tally.add(stalled, sign: -1, tools: &labeler)
        #expect(tally.values[SeriesKey(Metrics.runsStalled.name, ["surgeon"])] == -1)
    }
}
