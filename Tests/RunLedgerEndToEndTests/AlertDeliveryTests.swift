import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Alerts delivered through libcurl to a stand-in receiver on 127.0.0.1 (`tools/webhook-receiver.py`),
/// which records every request and answers from a plan (Slack's `ok`, 429 with Retry-After, 500).
@Suite(.serialized, .tags(.slow)) struct AlertDeliveryTests {
    func key(_ r: [String: Any]) -> String { idempotencyKey(r) }
    func accepted(_ r: [String: Any]) -> Bool { wasAccepted(r) }

    @Test func everySinkGetsEachAlertOnceInItsOwnFormat() throws {
        let dir = TempDir()
        let receiver = try Receiver(dir: dir, plan: #"{"/generic": ["429:1", "500", "200:ok"], "/discord": ["204"]}"#)
        defer { receiver.stop() }
        #expect(receiver.port > 0)
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--public-url", "http://runledger.example:9477",
            "--webhook", "generic=\(receiver.url("/generic"))", "--webhook", "slack=\(receiver.url("/slack"))",
            "--webhook", "discord=\(receiver.url("/discord"))", "--webhook", "teams=\(receiver.url("/teams"))",
            "--webhook", "alertmanager=\(receiver.url("/am"))", "--deliver-for", "40", Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")

        // Each alert reached each sink once: 4 false failures and 13 mismatches in the sample.
        for path in ["/generic", "/slack", "/discord", "/teams", "/am/api/v2/alerts"] {
            let ok = receiver.requests(path).filter(accepted)
            #expect(ok.count == 17, "\(path)")
            #expect(Set(ok.map(key)).count == 17, "\(path)")
            #expect(ok.filter { key($0).hasSuffix("/false_failure") }.count == 4, "\(path)")
        }
        // The generic sink was refused twice first (429 with Retry-After, then 500) and retried.
        #expect(receiver.requests("/generic").count == 19)

        let ff = "55df2f23-0b42-44c0-9ce0-62b822a78b21/false_failure"
        func body(_ path: String) throws -> Any {
            try #require(receiver.requests(path).first { key($0) == ff }?["body"])
        }
        let generic = try #require(try body("/generic") as? [String: Any])
        #expect(generic["version"] as? String == "4")
        let alert = try #require((generic["alerts"] as? [[String: Any]])?.first)
        #expect((alert["labels"] as? [String: String])?["run_id"] == "55df2f23-0b42-44c0-9ce0-62b822a78b21")
        #expect((alert["labels"] as? [String: String])?["alertname"] == "AgentWorkflowFalseFailure")
        #expect(
            alert["generatorURL"] as? String
                == "http://runledger.example:9477/runs/55df2f23-0b42-44c0-9ce0-62b822a78b21")
        let description = (alert["annotations"] as? [String: String])?["description"] ?? ""
        #expect(description.contains("17 turns") && description.contains("5 tools"))

        let slack = try #require(try body("/slack") as? [String: Any])
        #expect((slack["text"] as? String)?.contains("False failure") == true)
        #expect((slack["blocks"] as? [[String: Any]])?.isEmpty == false)
        let discord = try #require(try body("/discord") as? [String: Any])
        #expect(((discord["embeds"] as? [[String: Any]])?.first?["fields"] as? [Any])?.isEmpty == false)
        let teams = try #require(try body("/teams") as? [String: Any])
        let card = (teams["attachments"] as? [[String: Any]])?.first
        #expect(card?["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let am = try #require(try body("/am/api/v2/alerts") as? [[String: Any]])
        #expect((am.first?["labels"] as? [String: String])?["severity"] == "critical")

        // A mismatch names the fields and the source that reported 0.
        let mismatch = try #require(
            receiver.requests("/slack").first { key($0) == "476a6bde-947e-4dad-a5c9-e32997b7dcda/reporting_mismatch" })
        #expect(
            ((mismatch["body"] as? [String: Any])?["text"] as? String)?.contains(
                "log reported 0 for cost, tools, turns") == true)

        let metrics = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout)
        #expect(
            metrics["runledger_alerts_total{sink=\"generic\",kind=\"reporting_mismatch\",outcome=\"retried\"}"] == 2)
        #expect(
            metrics.filter { $0.key.hasPrefix("runledger_alerts_total{") && $0.key.contains("outcome=\"sent\"") }.values
                .reduce(0, +) == 85)
        #expect(!r.stderr.contains("127.0.0.1:\(receiver.port)"))  // webhook URLs are secrets: never printed
    }

    @Test func aReceiverThatWasDownGetsEveryAlertOnceLater() throws {
        let dir = TempDir()
        // Nothing listens on the port yet: the deliveries stay pending, with the reason.
        let closed = try Receiver(dir: TempDir(), seconds: 1)
        let port = closed.port
        closed.stop()
        let url = "http://127.0.0.1:\(port)/hook"
        let first = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "generic=\(url)", "--deliver-for", "1", Paths.sampleLog)
        #expect(first.status == 0)
        #expect(first.stderr.contains("17 alert deliveries still pending"))
        // The sink is probed by one delivery at a time; the others wait for it, without attempts.
        let pending = try outbox(dir.file("l.db"), state: "pending")
        #expect(pending.count == 17)
        let tried = pending.filter { ($0["attempts"] as? Int ?? 0) > 0 }
        #expect(!tried.isEmpty && tried.count <= 2)
        #expect(tried.allSatisfy { ($0["last_error"] as? String ?? "").lowercased().contains("connect") })

        // Up again on the same port; the next replay (no new lines) delivers what was pending.
        let receiver = try Receiver(dir: dir, seconds: 60, port: port)
        defer { receiver.stop() }
        #expect(receiver.port == port)
        let second = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "generic=\(url)", "--deliver-for", "30", Paths.sampleLog)
        #expect(second.status == 0, "\(second.stderr)")
        let keys = receiver.requests("/hook").map(key)
        #expect(keys.count == 17)
        #expect(Set(keys).count == 17)
        #expect(
            try runledger("alerts", "--db", dir.file("l.db"), "--state", "pending").stdout.hasSuffix("0 deliveries\n"))
    }

    @Test func theExecutorDatabaseRevealsItsOwnMismatches() throws {
        let dir = TempDir()
        let receiver = try Receiver(dir: dir)
        defer { receiver.stop() }
        let executorDB = Paths.shared.appendingPathComponent("workflow_runs.db").path
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--executor-db", executorDB, "--webhook",
            "generic=\(receiver.url("/hook"))",
            "--deliver-for", "30", Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")
        let runs =
            try JSONSerialization.jsonObject(
                with: Data(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout.utf8)) as! [[String: Any]]
        let truth =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth)))
            as! [String: Any]
        let expected = truth["runs"] as! [String: [String: Any]]
        var flagged = 0
        for run in runs {
            let id = run["run_id"] as! String
            let t = try #require(expected[id])
            let mismatch = run["mismatch"] as? [String: [String]] ?? [:]
            #expect((mismatch["db"] ?? []) == t["mismatch_db"] as! [String], "\(id)")
            #expect((mismatch["log"] ?? []) == t["mismatch_log"] as! [String], "\(id)")
            if !(t["mismatch_db"] as! [String]).isEmpty || !(t["mismatch_log"] as! [String]).isEmpty { flagged += 1 }
        }
        // One mismatch alert per run with a log or database mismatch (14 here), one per false failure (4).
        let keys = receiver.requests("/hook").filter(accepted).map(key)
        #expect(keys.filter { $0.hasSuffix("/reporting_mismatch") }.count == flagged)
        #expect(flagged == 14)
        #expect(keys.filter { $0.hasSuffix("/false_failure") }.count == 4)
        #expect(Set(keys).count == keys.count)
    }

    @Test func aDatabaseThatIsNotTheExecutorsIsSaidAndChangesNothing() throws {
        let dir = TempDir()
        _ = try runledger("replay", "--db", dir.file("other.db"), Paths.sampleLog)
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--executor-db", dir.file("other.db"), Paths.sampleLog)
        #expect(r.status == 0)
        #expect(r.stderr.contains("\(dir.file("other.db")): not the executor's database"))
        let runs = try runledger("runs", "--db", dir.file("l.db"), "--json").stdout
        #expect(!runs.contains("\"db\""))
    }

    @Test func badWebhookSpecsAreNamed() throws {
        let dir = TempDir()
        let r = try runledger("replay", "--db", dir.file("l.db"), "--webhook", "pager=http://x", Paths.sampleLog)
        #expect(r.status == 1)
        #expect(r.stderr.contains("--webhook pager: want KIND=URL"))
        let env = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "slack=env:RUNLEDGER_TEST_UNSET_VARIABLE", Paths.sampleLog)
        #expect(env.stderr.contains("environment variable RUNLEDGER_TEST_UNSET_VARIABLE is not set"))
    }

    @Test func aRetryDelayOutOfRangeIsNamedBeforeAnythingIsRead() throws {
        let dir = TempDir()
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "generic=http://127.0.0.1:9/x", "--retry-max-delay", "0",
            Paths.sampleLog)
        #expect(r.status == 1)
        #expect(r.stderr.contains("--retry-max-delay 0.0: must be 1 to 3600 seconds"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("l.db")))
        let config = dir.file("c.json")
        try #"{"retry_max_delay_seconds": true}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let check = try runledger("check", "--config", config)
        #expect(check.status == 1)
        #expect(check.stderr.contains("\"retry_max_delay_seconds\" must be a number from 1 to 3600"), "\(check.stderr)")
    }
}
