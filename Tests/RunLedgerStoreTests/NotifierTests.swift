import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerNotify
@testable import RunLedgerStore

/// The notifier against a sink where nothing listens (a port of this machine, closed): the sink is
/// probed by one delivery, and the others wait for its retry time instead of each trying.
@Suite struct NotifierTests {
    /// A loopback port that was free a moment ago; nothing listens on it.
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @Test func aSinkThatCannotBeReachedIsProbedByOneDeliveryAndTheRestWaitForIt() throws {
        let dir = TempDir()
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(sinks: ["generic"])
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: o)
        #expect(try ledger.pendingDeliveryCount() == 17)
        let sink = Sink(name: "generic", kind: .generic, url: "http://127.0.0.1:\(try closedPort())/hook")
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
