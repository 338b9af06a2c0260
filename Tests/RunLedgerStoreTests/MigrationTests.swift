import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify
import RunLedgerStore
import TestSupport
import Testing

/// `runledger migrate`: a host's SQLite ledger moved into a fleet's PostgreSQL one (or any other store)
/// is the same ledger there — runs, rollups, positions with open bursts, unattributed facts, and the
/// outbox with each delivery's state — and the host goes on from it as if it had always written it:
/// the same log read again adds nothing, and no alert is delivered again.
@Suite(.tags(.slow)) struct MigrationTests {
    @Test(arguments: StoreKind.others)
    func aMigratedLedgerIsTheSameLedgerAndGoesOnWithoutRereading(store: StoreKind) throws {
        let dir = TempDir()
        let receiver = try Receiver(log: dir.file("requests.jsonl"))
        defer { receiver.tool.stop() }
        // Deliveries in every state: one pass of the notifier sends, refuses for good and retries.
        _ = try NotifierStoresTests().passes(
            try StoreKind.sqlite.backend(dir.file("host.db")), dir: dir.path, receiver: receiver)
        let source = try Ledger(path: dir.file("host.db"))
        let target = try store.make(dir.file("fleet.db"))
        let counts = try LedgerMigration.copy(from: source, to: target, targetName: "fleet")

        #expect(counts.runs == (try source.runCount()))
        #expect(counts.runs > 30)
        #expect(counts.unattributed == (try source.unattributedCount()))
        #expect(try target.unattributedCount() == counts.unattributed)
        #expect(try snapshot(target) == (try snapshot(source)))
        #expect(try target.positions() == (try source.positions()))
        let shown = { (s: any LedgerQueries) in try s.allDeliveries(state: nil, limit: 1000).map(StoreContent.shown) }
        #expect(try shown(target) == (try shown(source)))
        #expect(Set(try shown(source).map { $0.split(separator: " ")[2] }) == ["sent", "failed", "pending"])
        #expect(try target.pendingDeliveryCount() == (try source.pendingDeliveryCount()))
        #expect(
            try target.dueDeliveries(nowMs: .max, limit: 1000).map(\.firstAttemptMs)
                == (try source.dueDeliveries(nowMs: .max, limit: 1000).map(\.firstAttemptMs)))

        // The host's log again, into the migrated ledger: read from the moved position, so nothing changes.
        let rollups = try target.rollups()
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(routes: StoreContent.sinks.map { AlertRoute(sink: $0) })
        try replay(dir.file("content.log"), into: target, options: o)
        #expect(try target.rollups() == rollups)
        #expect(try shown(target) == (try shown(source)))

        // A second migration into the now full target is refused before it writes anything.
        #expect(throws: LedgerError.self) { try LedgerMigration.copy(from: source, to: target, targetName: "fleet") }
        #expect(try target.runCount() == counts.runs)
    }
}
