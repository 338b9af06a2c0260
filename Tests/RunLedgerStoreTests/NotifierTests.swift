import Foundation
import Synchronization
import TestSupport
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerNotify
@testable import RunLedgerStore

/// The notifier against a sink where nothing listens (a port of this machine, closed): the sink is
/// probed by one delivery, and the others wait for its retry time instead of each trying.
@Suite struct NotifierTests {

    @Test func aSinkThatCannotBeReachedIsProbedByOneDeliveryAndTheRestWaitForIt() throws {
        let dir = TempDir()
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(sinks: ["generic"])
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: o)
        #expect(try ledger.pendingDeliveryCount() == 17)
        let sink = Sink(name: "generic", kind: .generic, url: "http://127.0.0.1:\(unusedLoopbackPort())/hook")
        let notifier = Notifier(ledger: try Ledger(path: dir.file("l.db")), sinks: [sink], publicURL: "http://x")
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(try notifier.deliverDue() == 17)
        let tried = try ledger.allDeliveries().filter { $0.attempts > 0 }
        #expect(tried.count == 1)
        #expect(tried.first?.lastError?.lowercased().contains("connect") == true)
        // Every delivery, tried or not, waits for the sink's retry time (1 s ± 20 % after the attempt).
        let next = try #require(try notifier.nextAttemptMs())
        #expect(next >= before + 700)
        #expect(try notifier.deliverDue() == 17)
        #expect(try ledger.allDeliveries().filter { $0.attempts > 0 }.count == 1)
    }

    /// The backoff schedule of a sink that stays down, on a clock the test moves in 100 ms steps: 30 s of
    /// outage in well under a second of test, where the end-to-end test had to sleep through them.
    @Test func aSinkThatStaysDownIsProbedOnTheBackoffScheduleAndNoMoreOften() throws {
        let dir = TempDir()
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(sinks: ["generic"])
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: o)
        let sink = Sink(name: "generic", kind: .generic, url: "http://127.0.0.1:\(unusedLoopbackPort())/hook")
        let start = Int64(Date().timeIntervalSince1970 * 1000) + 1000
        let now = Mutex<Int64>(start)
        let notifier = Notifier(
            ledger: try Ledger(path: dir.file("l.db")), sinks: [sink], publicURL: "http://x",
            clock: { now.withLock { $0 } })
        var attemptsAt: [Int64] = []
        notifier.onChange = { _, _ in attemptsAt.append(now.withLock { $0 }) }
        for step in 0..<300 {
            now.withLock { $0 = start + Int64(step) * 100 }
            #expect(try notifier.deliverDue() == 17)
        }
        // 1 s after the first attempt, then 2, 4, 8 and 16 s (each ± 20 %, and the 100 ms step): the
        // sixth falls between 24.8 and 37.2 s, so 5 or 6 attempts in 30 s — not one per pending alert.
        #expect((5...6).contains(attemptsAt.count), "\(attemptsAt.map { $0 - start })")
        #expect(try ledger.allDeliveries().map(\.attempts).reduce(0, +) == attemptsAt.count)
        for (i, gap) in zip(attemptsAt, attemptsAt.dropFirst()).map({ $1 - $0 }).enumerated() {
            let backoff = Double(1000 << i)
            #expect(Double(gap) >= backoff * 0.8 && Double(gap) <= backoff * 1.2 + 100, "attempt \(i + 2): \(gap) ms")
        }
    }
}
