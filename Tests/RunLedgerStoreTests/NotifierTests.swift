import Foundation
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
}
