import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real Alertmanager (Debian's prometheus-alertmanager) on loopback receives RunLedger's alerts
/// through its own API; the test reads them back from `/api/v2/alerts`.
@Suite struct AlertmanagerTests {
    @Test func alertmanagerReceivesEveryAlertWithItsLabels() throws {
        let dir = TempDir()
        let binary = "/usr/bin/prometheus-alertmanager"
        #expect(FileManager.default.isExecutableFile(atPath: binary), "make test installs prometheus-alertmanager")
        try "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n".write(
            toFile: dir.file("am.yml"), atomically: true, encoding: .utf8)
        let port = unusedLoopbackPort()
        let am = Process()
        am.executableURL = URL(fileURLWithPath: binary)
        am.arguments = [
            "--config.file=\(dir.file("am.yml"))", "--storage.path=\(dir.file("data"))",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ]
        am.standardOutput = FileHandle.nullDevice
        am.standardError = FileHandle.nullDevice
        try am.run()
        defer {
            kill(am.processIdentifier, SIGKILL)
            am.waitUntilExit()
        }
        var ready = false
        for _ in 0..<200 where !ready {
            ready = httpGet(port: port, "/-/ready")?.status == 200
            if !ready { usleep(50_000) }
        }
        #expect(ready, "alertmanager did not start")

        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "alertmanager=http://127.0.0.1:\(port)", "--deliver-for",
            "30",
            Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")
        let body = try #require(httpGet(port: port, "/api/v2/alerts")?.body)
        let alerts = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
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
