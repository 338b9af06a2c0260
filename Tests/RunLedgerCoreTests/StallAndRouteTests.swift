import Foundation
import Testing

@testable import RunLedgerCore

@Suite struct StallDetectorTests {
    let minute: Int64 = 60_000

    func running(lastLineAt t: Int64) -> RunRecord {
        var r = RunRecord(runId: "r1")
        r.apply(.workflow("builder", .report), at: 0, attribution: .exact)
        r.apply(.started, at: 0, attribution: .exact)
        r.apply(.turns(3, .progress), at: t, attribution: .burst)
        return r
    }

    @Test func aRunQuietForTheThresholdIsStalledAndNotBefore() {
        let d = StallDetector(afterMs: 30 * minute)
        let r = running(lastLineAt: 10 * minute)
        #expect(r.lastLineAtMs == 10 * minute)
        #expect(!d.isStalled(r, nowMs: 40 * minute - 1))
        #expect(d.isStalled(r, nowMs: 40 * minute))
    }

    @Test func endedRunsUndatedRunsAndAZeroThresholdNeverStall() {
        var ended = running(lastLineAt: 0)
        ended.apply(.ended(.completed, .correction), at: minute, attribution: .exact)
        #expect(!StallDetector(afterMs: minute).isStalled(ended, nowMs: 999 * minute))
        var undated = RunRecord(runId: "u")
        undated.apply(.started, at: nil, attribution: .exact)
        #expect(!StallDetector(afterMs: minute).isStalled(undated, nowMs: 999 * minute))
        #expect(!StallDetector(afterMs: 0).isStalled(running(lastLineAt: 0), nowMs: 999 * minute))
    }

    @Test func statusPollsAreNotWorkButAnyLineOfTheRunEndsTheStall() {
        var r = running(lastLineAt: minute)
        // A client polling the status endpoint says nothing about whether the run moves.
        r.apply(
            .report(source: "log", Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)), at: 50 * minute,
            attribution: .exact)
        #expect(r.lastLineAtMs == minute)
        r.apply(.stalled(atMs: 31 * minute), at: nil, attribution: .exact)
        #expect(r.isStalled)
        #expect(r.stalledAtMs == 31 * minute)
        r.apply(.turns(4, .progress), at: 32 * minute, attribution: .burst)
        #expect(!r.isStalled)
        #expect(r.lastLineAtMs == 32 * minute)
    }

    @Test func aStallRaisesOneAlertWithHowLongTheRunWasQuiet() {
        let before = running(lastLineAt: 5 * minute)
        var after = before
        after.apply(.stalled(atMs: 40 * minute), at: nil, attribution: .exact)
        let raised = AlertDetector().alerts(before: before, after: after, at: nil)
        #expect(raised.map(\.kind) == [.stalledRun])
        #expect(raised.first?.quietForMs == 35 * minute)
        #expect(raised.first?.raisedAtMs == 40 * minute)
        #expect(raised.first?.summary.contains("logged nothing for 35 minutes") == true)
        #expect(AlertDetector().alerts(before: after, after: after, at: nil).isEmpty)
        // Ended: the stall is over, and a run that is no longer running is never marked.
        var ended = after
        ended.apply(.ended(.failed, .correction), at: 41 * minute, attribution: .exact)
        #expect(!ended.isStalled)
        ended.apply(.stalled(atMs: 99 * minute), at: nil, attribution: .exact)
        #expect(!ended.isStalled)
    }

    @Test func stallMarksSurviveTheLedgersStoredForm() throws {
        var r = running(lastLineAt: 7)
        r.apply(.stalled(atMs: 9), at: nil, attribution: .exact)
        let back = try JSONDecoder().decode(RunRecord.self, from: Data(r.ledgerJSON.utf8))
        #expect(back == r)
        #expect(back.stalledAtMs == 9 && back.lastLineAtMs == 7)
    }
}

@Suite struct AlertRouteTests {
    func alert(_ kind: AlertKind, _ workflow: String) -> Alert {
        Alert(
            kind: kind, runId: "r", workflow: workflow, status: "failed", costNano: 1, turns: 1, tools: 1,
            totalTokens: 1, mismatch: [:], budgetNano: nil, raisedAtMs: nil)
    }

    @Test func aRouteFiltersByKindAndWorkflow() {
        let all = AlertRoute(sink: "a")
        #expect(all.accepts(alert(.costBudget, "x")))
        let ff = AlertRoute(sink: "b", kinds: [.falseFailure])
        #expect(ff.accepts(alert(.falseFailure, "x")))
        #expect(!ff.accepts(alert(.reportingMismatch, "x")))
        let builder = AlertRoute(sink: "c", kinds: [.falseFailure, .stalledRun], workflows: ["builder"])
        #expect(builder.accepts(alert(.stalledRun, "builder")))
        #expect(!builder.accepts(alert(.stalledRun, "surgeon")))
        #expect(!builder.accepts(alert(.costBudget, "builder")))
    }

    @Test func anAlertWhoseWorkflowIsNotKnownYetPassesWorkflowFilters() {
        let builder = AlertRoute(sink: "c", workflows: ["builder"])
        #expect(builder.accepts(alert(.falseFailure, "unknown")))
    }
}
