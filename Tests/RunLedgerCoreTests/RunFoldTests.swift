import Testing

@testable import RunLedgerCore

/// The fold the ingestor, the report pollers and the stall watch share (`RunFold`): what a batch of
/// decisions changes, as the ledger commits it. Lines are the bug-era (22e45cbe) formats (`BugEraRun`).
@Suite struct RunFoldTests {
    /// A ledger that takes the fold's batches, as `Ledger.commit` does with the runs.
    final class Committed: RunLookup {
        var runs: [String: RunRecord] = [:]
        func run(_ id: String) -> RunRecord? { runs[id] }
        func commit(_ b: FoldedBatch) { for r in b.runs { runs[r.runId] = r } }
    }

    /// Feeds lines to `fold` through an extractor and a correlator of its own, numbering them from `first`.
    static func feed(_ fold: inout RunFold, _ correlator: Correlator, _ lines: [String], first: Int64 = 1) {
        let extractor = makeExtractor()
        var out: [Attributed] = []
        for (k, line) in lines.enumerated() {
            let x = withBytes(line) { extractor.extract($0) }
            out.removeAll()
            correlator.process(x, into: &out)
            try! fold.add(x.result, problem: x.problem, decisions: out[...], lineNumber: first + Int64(k))
        }
    }

    static func key(_ spec: MetricSpec, _ labels: String...) -> SeriesKey { SeriesKey(spec.name, labels) }

    @Test func aFalseFailureFoldsToItsRecordItsCountsAndOneAlert() throws {
        let b = BugEraRun(3, "builder")
        let ledger = Committed()
        var fold = RunFold(source: "x.log", lookup: ledger, labels: FoldLabels())
        let lines = [
            b.post, b.start, b.metrics(cost: "0.2500", turns: 0), b.taskgroup, b.processing(17),
            b.tool("Bash", "t1"), b.corrected(10), b.marking, b.toolList(["Bash", "Read"]), b.end("failed"),
        ]
        Self.feed(&fold, Correlator(profile: .automagik), lines)
        let batch = fold.takeBatch()

        let r = try #require(batch.runs.first)
        #expect(batch.runs.count == 1 && batch.stored == [nil])
        #expect(r.runId == b.run && r.currentStatus == .failed && r.falseFailure)
        #expect(r.cost == 250_000_000 && r.turnCount == 10)
        #expect(r.logLines?.first?.source == "x.log")
        let d = batch.delta
        #expect(d[Self.key(Metrics.runsStarted, "builder")] == 1)
        #expect(d[Self.key(Metrics.runsFinished, "builder", "failed")] == 1)
        #expect(d[Self.key(Metrics.falseFailures, "builder")] == 1)
        #expect(d[Self.key(Metrics.cost, "builder")] == 250_000_000)
        #expect(d[Self.key(Metrics.runsActive, "builder")] == nil, "started and ended in the batch")
        #expect(d[Self.key(Metrics.lines, "x.log", "matched")] == batch.lineCounts[.matched])
        #expect(batch.lineCounts.values.reduce(0, +) == Int64(lines.count))
        #expect(batch.alerts.map(\.kind) == [.falseFailure])
        #expect(batch.alerts.first?.runId == b.run && batch.alerts.first?.costNano == 250_000_000)
        #expect(batch.latestTimeMs != nil)
        #expect(fold.linesInBatch == 0 && fold.takeBatch().runs.isEmpty, "taking the batch starts the next")
    }

    @Test func aLaterBatchCountsOnlyWhatItChanged() throws {
        let a = BugEraRun(5, "builder")
        let ledger = Committed()
        let correlator = Correlator(profile: .automagik)
        var fold = RunFold(source: "x.log", lookup: ledger, labels: FoldLabels())

        Self.feed(&fold, correlator, [a.post, a.start, a.metrics(cost: "0.5000", turns: 2)])
        let started = fold.takeBatch()
        ledger.commit(started)
        #expect(started.delta[Self.key(Metrics.runsActive, "builder")] == 1)
        #expect(started.delta[Self.key(Metrics.runsStarted, "builder")] == 1)

        // The end closes the burst: the cost arrives now, the start is not counted again.
        Self.feed(&fold, correlator, [a.processing(2), a.end("completed")], first: 4)
        let ended = fold.takeBatch()
        ledger.commit(ended)
        #expect(ended.stored == [started.runs.first])
        #expect(ended.delta[Self.key(Metrics.runsStarted, "builder")] == nil)
        #expect(ended.delta[Self.key(Metrics.runsActive, "builder")] == -1)
        #expect(ended.delta[Self.key(Metrics.runsFinished, "builder", "completed")] == 1)
        #expect(ended.delta[Self.key(Metrics.cost, "builder")] == 500_000_000)
        #expect(ended.alerts.isEmpty)

        // The executor then reports zeros: a mismatch, while the run's cost and end net to nothing.
        Self.feed(&fold, correlator, [a.pollAccess, a.poll()], first: 6)
        let polled = fold.takeBatch()
        ledger.commit(polled)
        #expect(polled.runs.map(\.runId) == [a.run])
        #expect(polled.delta[Self.key(Metrics.mismatches, "builder", "cost")] == 1)
        #expect(polled.delta[Self.key(Metrics.cost, "builder")] == nil)
        #expect(polled.delta[Self.key(Metrics.runsFinished, "builder", "completed")] == nil)
        #expect(polled.alerts.map(\.kind) == [.reportingMismatch])
    }

    @Test func aRunTheBatchLeftAsItWasIsNeitherRewrittenNorCounted() throws {
        let a = BugEraRun(6, "builder")
        let ledger = Committed()
        let correlator = Correlator(profile: .automagik)
        var fold = RunFold(source: "x.log", lookup: ledger, labels: FoldLabels())
        Self.feed(&fold, correlator, [a.post, a.start, a.metrics(cost: "0.5000", turns: 2), a.end("completed")])
        ledger.commit(fold.takeBatch())
        Self.feed(&fold, correlator, [a.poll()], first: 5)
        ledger.commit(fold.takeBatch())

        // The same status line again: read and counted as a line, but the run is as it was.
        Self.feed(&fold, correlator, [a.poll()], first: 6)
        let again = fold.takeBatch()
        #expect(again.runs.isEmpty && again.alerts.isEmpty)
        #expect(again.delta.keys.map(\.name) == [Metrics.lines.name])

        // The same report from the executor's database, twice: written once.
        let report = try #require(ledger.runs[a.run]?.reported["log"])
        try fold.add(.report(source: "db", report), toRun: a.run)
        let first = fold.takeBatch()
        ledger.commit(first)
        try fold.add(.report(source: "db", report), toRun: a.run)
        let second = fold.takeBatch()
        #expect(first.runs.count == 1)
        #expect(second.runs.isEmpty && second.alerts.isEmpty && second.delta.isEmpty)
    }

    @Test func aReportForARunTheLedgerDoesNotHoldIsSkipped() throws {
        var fold = RunFold(source: "reports-db", lookup: Committed(), labels: FoldLabels())
        try fold.add(reports: ["not-a-run": Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)], source: "db")
        let batch = fold.takeBatch()
        #expect(batch.runs.isEmpty && batch.delta.isEmpty && batch.unattributed.isEmpty)
    }
}
