import Testing

@testable import RunLedgerCore

@Suite struct AlertDetectorTests {
    func ended(_ build: (inout RunRecord) -> Void) -> RunRecord {
        var r = RunRecord(runId: "r1")
        r.apply(.workflow("builder", .report), at: nil, attribution: .exact)
        r.apply(.started, at: 0, attribution: .exact)
        build(&r)
        return r
    }

    @Test func aFalseFailureIsRaisedOnceWhenItAppears() {
        let before = ended {
            $0.apply(.turns(5, .correction), at: nil, attribution: .burst);
            $0.apply(.taskgroupError, at: nil, attribution: .burst)
        }
        var after = before
        after.apply(.ended(.failed, .correction), at: 9, attribution: .exact)
        let d = AlertDetector()
        let raised = d.alerts(before: before, after: after, at: 9)
        #expect(raised.map(\.kind) == [.falseFailure])
        #expect(raised.first?.summary.contains("5 turns") == true)
        #expect(d.alerts(before: after, after: after, at: 10).isEmpty)  // already raised
    }

    @Test func aMismatchIsRaisedOncePerRunWhateverTheFields() {
        var r = ended {
            $0.apply(.cost(nano: 100, .report), at: nil, attribution: .burst);
            $0.apply(.turns(2, .report), at: nil, attribution: .burst)
        }
        r.apply(.ended(.completed, .correction), at: 5, attribution: .exact)
        let before = r
        r.apply(
            .report(source: "log", Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)), at: 6, attribution: .exact)
        let raised = AlertDetector().alerts(before: before, after: r, at: 6)
        #expect(raised.map(\.kind) == [.reportingMismatch])
        #expect(raised.first?.mismatch == ["log": ["cost", "turns"]])
        #expect(raised.first?.summary.contains("log reported 0 for cost, turns") == true)
        var later = r
        later.apply(
            .report(source: "db", Report(costNano: 0, totalTokens: 0, turns: 2, tools: 0)), at: 7, attribution: .exact)
        #expect(AlertDetector().alerts(before: r, after: later, at: 7).isEmpty)
    }

    @Test func aCostOverTheBudgetIsRaisedWhenItCrossesIt() {
        let cheap = ended { $0.apply(.cost(nano: 1_000_000_000, .report), at: nil, attribution: .burst) }
        let dear = ended { $0.apply(.cost(nano: 6_000_000_000, .report), at: nil, attribution: .burst) }
        let d = AlertDetector(budgetNano: 5_000_000_000)
        #expect(d.alerts(before: cheap, after: dear, at: 1).map(\.kind) == [.costBudget])
        #expect(d.alerts(before: nil, after: cheap, at: 1).isEmpty)
        #expect(AlertDetector().alerts(before: cheap, after: dear, at: 1).isEmpty)
    }
}
