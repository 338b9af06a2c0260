import Foundation
import TestSupport
import Testing

/// A real Alertmanager (Debian's prometheus-alertmanager) on loopback receives RunLedger's alerts
/// through its own API; the test reads them back from `/api/v2/alerts`.
@Suite(.tags(.slow)) struct AlertmanagerTests {
    @Test func alertmanagerReceivesEveryAlertWithItsLabels() throws {
        let dir = TempDir()
        let am = try AlertmanagerProcess(dir: dir)
        defer { am.stop() }
        #expect(am.waitUntilReady(), "alertmanager did not start")

        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "alertmanager=http://127.0.0.1:\(am.port)",
            "--deliver-for",
            "30",
            Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")
        let alerts = try #require(am.alerts())
        let labels = alerts.compactMap { $0["labels"] as? [String: String] }
        #expect(labels.count == 17)
        #expect(labels.filter { $0["alertname"] == "AgentWorkflowFalseFailure" }.count == 4)
        #expect(labels.filter { $0["alertname"] == "AgentWorkflowReportingMismatch" }.count == 13)
        let ff = try #require(
            alerts.first { ($0["labels"] as? [String: String])?["run_id"] == "9508236e-08c1-44fb-803d-4342a9347aa8" })
        #expect((ff["labels"] as? [String: String])?["workflow"] == "guardian")
        #expect(((ff["annotations"] as? [String: String])?["description"] ?? "").contains("29 turns"))
    }
}
