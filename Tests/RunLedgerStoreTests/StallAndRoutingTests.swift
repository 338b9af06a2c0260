import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// A verbose executor line at `time` (UTC) with `message`.
private func line(_ time: String, _ message: String) -> String {
    "2025-06-19 \(time),000 - src.agents.claude_code.agent - INFO - 📝 \u{1B}[92m\(message)\u{1B}[0m\n"
}

private func created(_ time: String, db: String, run: String) -> String {
    line(time, "Created workflow run record \(db) for run_id \(run)")
}

private func completed(_ time: String, db: String) -> String {
    line(time, "Updated session s with final status: completed (workflow_run_id: \(db))")
}

@Suite struct AlertRoutingTests {
    @Test func eachSinkGetsOnlyTheAlertsItsRouteAccepts() throws {
        let dir = TempDir()
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(routes: [
            AlertRoute(sink: "everything"),
            AlertRoute(sink: "false-failures", kinds: [.falseFailure]),
            AlertRoute(sink: "builder", workflows: ["builder"]),
        ])
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: o)
        let d = try ledger.allDeliveries()
        let everything = d.filter { $0.sink == "everything" }
        #expect(everything.count == 17)
        let ff = d.filter { $0.sink == "false-failures" }
        #expect(ff.count == everything.filter { $0.alert.kind == .falseFailure }.count)
        #expect(ff.count == 4 && ff.allSatisfy { $0.alert.kind == .falseFailure })
        let builder = d.filter { $0.sink == "builder" }
        #expect(
            Set(builder.map(\.alert.dedupKey))
                == Set(everything.filter { $0.alert.workflow == "builder" }.map(\.alert.dedupKey)))
        #expect(!builder.isEmpty && builder.count < everything.count)
    }
}

@Suite struct StallWatchTests {
    func options(stallMinutes: Int64) -> FileIngest.Options {
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(
            routes: [AlertRoute(sink: "generic")], stall: StallDetector(afterMs: stallMinutes * 60_000))
        return o
    }

    /// Run A starts at 18:00 and falls silent; run B starts at 18:01 and ends at 18:45.
    func quietLog(_ dir: TempDir) -> String {
        let path = dir.file("x.log")
        let text =
            created("18:00:00", db: "db-a", run: "run-a") + created("18:01:00", db: "db-b", run: "run-b")
            + completed("18:45:00", db: "db-b")
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func stalledGauge(_ ledger: Ledger) throws -> Int64 {
        try ledger.rollups().filter { $0.key.name == Metrics.runsStalled.name }.values.reduce(0, +)
    }

    @Test func aRunQuietLongerThanTheThresholdByTheLogsClockIsMarkedOnceWithOneAlert() throws {
        let dir = TempDir()
        let log = quietLog(dir)
        let o = options(stallMinutes: 30)
        let ledger = try replay(log, into: dir.file("l.db"), options: o)
        try checkStalls(in: ledger, options: o)
        let a = try #require(try ledger.run("run-a"))
        #expect(a.isStalled)
        #expect(try #require(try ledger.run("run-b")).stalledAtMs == nil)
        #expect(try stalledGauge(ledger) == 1)
        try checkStalls(in: ledger, options: o)
        let alerts = try ledger.allDeliveries().filter { $0.alert.kind == .stalledRun }
        #expect(alerts.map(\.alert.runId) == ["run-a"])
        #expect(alerts.first?.alert.quietForMs ?? 0 >= 45 * 60_000)
        // Its end line arrives: the run is no longer stalled, the gauge falls, no second alert.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        handle.write(Data(completed("18:46:00", db: "db-a").utf8))
        try handle.close()
        let again = try replay(log, into: dir.file("l.db"), options: o)
        try checkStalls(in: again, options: o)
        #expect(try #require(try again.run("run-a")).isStalled == false)
        #expect(try stalledGauge(again) == 0)
        #expect(try again.allDeliveries().filter { $0.alert.kind == .stalledRun }.count == 1)
    }

    @Test func aRunQuietForLessThanTheThresholdIsLeftAlone() throws {
        let dir = TempDir()
        let o = options(stallMinutes: 60)
        let ledger = try replay(quietLog(dir), into: dir.file("l.db"), options: o)
        try checkStalls(in: ledger, options: o)
        #expect(try #require(try ledger.run("run-a")).isStalled == false)
        #expect(try ledger.allDeliveries().isEmpty)
    }

    @Test func afterARestartTheClockStartsWhereTheLedgerLeftIt() throws {
        let dir = TempDir()
        let o = options(stallMinutes: 30)
        _ = try replay(quietLog(dir), into: dir.file("l.db"), options: o)
        // A new process: a fresh clock, no line read yet; the ledger's latest run time seeds it.
        var fresh = o
        fresh.alerting.clock = LogClock()
        let ledger = try Ledger(path: dir.file("l.db"))
        try checkStalls(in: ledger, options: fresh)
        #expect(try #require(try ledger.run("run-a")).isStalled)
    }

    @Test func theLogsClockMovesOnWithTheHostsWhileNoLineArrives() {
        let clock = LogClock()
        #expect(clock.nowMs(wallMs: 5) == nil)
        clock.advance(to: 1_000, wallMs: 10_000)
        #expect(clock.nowMs(wallMs: 10_000) == 1_000)
        #expect(clock.nowMs(wallMs: 70_000) == 61_000)
        clock.advance(to: 500, wallMs: 80_000)  // an older line moves nothing
        #expect(clock.nowMs(wallMs: 80_000) == 71_000)
    }
}
