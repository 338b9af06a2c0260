import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

@Suite struct OutboxTests {
    func alertingOptions(_ sinks: [String]) -> FileIngest.Options {
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(detector: AlertDetector(), sinks: sinks)
        return o
    }

    @Test func theSampleRaisesOneAlertPerFalseFailureAndPerMismatchedRun() throws {
        let dir = TempDir()
        let ledger = try replay(
            Fixture.sampleLog, into: dir.file("l.db"), options: alertingOptions(["generic", "slack"]))
        let deliveries = try ledger.allDeliveries()
        let generic = deliveries.filter { $0.sink == "generic" }
        #expect(generic.filter { $0.alert.kind == .falseFailure }.count == 4)
        #expect(generic.filter { $0.alert.kind == .reportingMismatch }.count == 13)
        #expect(Set(generic.map(\.alert.dedupKey)).count == generic.count)
        #expect(deliveries.filter { $0.sink == "slack" }.count == 17)
        #expect(deliveries.allSatisfy { $0.state == .pending })
        let ff = try #require(
            generic.first { $0.alert.runId == "55df2f23-0b42-44c0-9ce0-62b822a78b21" && $0.alert.kind == .falseFailure }
        )
        #expect(ff.alert.turns == 17)
        #expect(ff.alert.tools == 5)
        #expect(ff.alert.workflow == "builder")
    }

    @Test func alertsAreRaisedOnceAcrossRestartsAndReplays() throws {
        let dir = TempDir()
        _ = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: alertingOptions(["generic"]))
        let again = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: alertingOptions(["generic"]))
        #expect(try again.allDeliveries().count == 17)
        // Read in pieces with a restart after every batch: still one alert per run and kind.
        let pieces = TempDir()
        let text = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
        let log = pieces.file("x.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        for chunk in stride(from: 0, to: text.utf8.count, by: 4000) {
            handle.write(Data(Array(text.utf8)[chunk..<min(text.utf8.count, chunk + 4000)]))
            _ = try replay(log, into: pieces.file("l.db"), options: alertingOptions(["generic"]))
        }
        try handle.close()
        let d = try Ledger(path: pieces.file("l.db")).allDeliveries()
        #expect(d.count == 17)
        #expect(Set(d.map(\.alert.dedupKey)).count == 17)
    }

    @Test func aFoundationLedgerIsMigrated() throws {
        let dir = TempDir()
        let ledger = try Ledger(path: dir.file("l.db"))
        // Pretend the ledger was written by schema 1: drop the alert tables and the version.
        try ledger.db.exec(
            "DROP TABLE deliveries; DROP TABLE outbox; UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        let reopened = try Ledger(path: dir.file("l.db"))
        #expect(try reopened.allDeliveries().isEmpty)
        #expect(try reopened.pendingDeliveryCount() == 0)
    }

    @Test func aLedgerOfSchemaTwoIsListedReadOnlyAndMigratedForDelivery() throws {
        let dir = TempDir()
        _ = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: alertingOptions(["generic"]))
        let ledger = try Ledger(path: dir.file("l.db"))
        try ledger.db.exec(
            "ALTER TABLE deliveries DROP COLUMN first_attempt_ms; UPDATE meta SET value = '2' WHERE key = 'schema_version'"
        )
        // `runledger alerts` opens it read-only, before any serve has migrated it.
        #expect(try Ledger(path: dir.file("l.db"), readOnly: true).allDeliveries().count == 17)
        let migrated = try Ledger(path: dir.file("l.db"))
        var d = try #require(try migrated.dueDeliveries(nowMs: .max).first)
        #expect(d.firstAttemptMs == nil)
        d.attempts += 1
        d.firstAttemptMs = 1234
        try migrated.recordAttemptStart(d)
        let again = try #require(try migrated.dueDeliveries(nowMs: .max).first { $0.alertId == d.alertId })
        #expect(again.attempts == 1)
        #expect(again.firstAttemptMs == 1234)
    }
}
