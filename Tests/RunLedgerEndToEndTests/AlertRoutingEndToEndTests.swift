import Foundation
import TestSupport
import Testing

/// Per-sink filters from the config file, `alerts test --sink`, and stalled runs, through the real
/// binary, libcurl and the stand-in receiver on 127.0.0.1.
@Suite(.serialized, .tags(.slow)) struct AlertRoutingEndToEndTests {
    func key(_ r: [String: Any]) -> String { idempotencyKey(r) }
    func workflow(_ r: [String: Any]) -> String {
        ((r["body"] as? [String: Any])?["commonLabels"] as? [String: Any])?["workflow"] as? String ?? ""
    }

    func config(_ dir: TempDir, _ receiver: Receiver) throws -> String {
        let path = dir.file("config.json")
        let text = """
            {"webhooks": [
              "generic=\(receiver.url("/all"))",
              {"kind": "generic", "url": "env:RL_TEST_FF_URL", "name": "ff", "kinds": ["false_failure"]},
              {"kind": "generic", "url": "\(receiver.url("/builder"))", "name": "builder-team", "workflows": ["builder"]}
            ]}
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func eachSinkGetsWhatItsFilterAsksForAndATestGoesToTheNamedSinkOnly() throws {
        let dir = TempDir()
        let receiver = try Receiver(dir: dir)
        defer { receiver.stop() }
        setenv("RL_TEST_FF_URL", receiver.url("/ff"), 1)
        let cfg = try config(dir, receiver)
        let r = try runledger(
            "replay", "--config", cfg, "--db", dir.file("l.db"), "--utc-offset=-03:00", "--executor-db",
            Paths.shared.appendingPathComponent("workflow_runs.db").path, "--deliver-for", "30", Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")
        let all = receiver.requests("/all")
        let expected = try expectedAlertKeys(executorDB: true)
        #expect(Set(all.map(key)) == expected && all.count == expected.count && !expected.isEmpty)
        let ff = receiver.requests("/ff")
        #expect(Set(ff.map(key)) == Set(all.map(key).filter { $0.hasSuffix("/false_failure") }))
        #expect(ff.count == 4)
        let builder = receiver.requests("/builder")
        #expect(Set(builder.map(key)) == Set(all.filter { workflow($0) == "builder" }.map(key)))
        #expect(!builder.isEmpty && builder.count < all.count)
        let listed =
            try JSONSerialization.jsonObject(
                with: Data(try runledger("alerts", "--db", dir.file("l.db"), "--json").stdout.utf8)) as? [[String: Any]]
        #expect(Set((listed ?? []).compactMap { $0["sink"] as? String }) == ["generic", "ff", "builder-team"])

        let test = try runledger("alerts", "test", "--config", cfg, "--sink", "ff")
        #expect(test.status == 0, "\(test.stderr)")
        #expect(test.stdout.contains("ff: HTTP 200"))
        #expect(receiver.requests("/ff").count == 5)
        #expect(receiver.requests("/all").count == all.count && receiver.requests("/builder").count == builder.count)
        let unknown = try runledger("alerts", "test", "--config", cfg, "--sink", "nope")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("--sink nope: no such sink (configured: generic, ff, builder-team)"))
        #expect(!unknown.stderr.contains("127.0.0.1"))  // URLs are secrets
    }

    @Test func badWebhookEntriesAreNamedByIndexAndKey() throws {
        let dir = TempDir()
        let path = dir.file("c.json")
        for (entry, message) in [
            (
                #"{"kind": "slack", "url": "http://x", "kinds": ["false_alarm"]}"#,
                "\"webhooks[0].kinds\": unknown alert kind \"false_alarm\""
            ),
            (#"{"kind": "slack", "url": "http://x", "colour": "red"}"#, "\"webhooks[0].colour\": unknown key"),
            (#"{"kind": "slack"}"#, "\"webhooks[0]\" needs both \"kind\" and \"url\""),
            (#"7"#, "\"webhooks[0]\" must be \"KIND=URL\" or an object"),
        ] {
            try "{\"webhooks\": [\(entry)]}".write(toFile: path, atomically: true, encoding: .utf8)
            let r = try runledger("check", "--config", path)
            #expect(r.status == 1)
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
    }

    @Test func aRunThatFellSilentRaisesOneStalledAlert() throws {
        let dir = TempDir()
        func line(_ t: String, _ m: String) -> String {
            "2025-06-19 \(t),000 - src.agents.claude_code.agent - INFO - 📝 \u{1B}[92m\(m)\u{1B}[0m\n"
        }
        let log = dir.file("x.log")
        try
            (line("18:00:00", "Created workflow run record db-a for run_id run-a")
            + line("18:01:00", "Created workflow run record db-b for run_id run-b")
            + line("18:45:00", "Updated session s with final status: completed (workflow_run_id: db-b)"))
            .write(toFile: log, atomically: true, encoding: .utf8)
        let receiver = try Receiver(dir: dir)
        defer { receiver.stop() }
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--utc-offset", "Z", "--stall-after", "30", "--webhook",
            "generic=\(receiver.url("/hook"))", "--deliver-for", "20", log)
        #expect(r.status == 0, "\(r.stderr)")
        let got = receiver.requests("/hook")
        #expect(got.map(key) == ["run-a/stalled_run"])
        let description =
            (((got.first?["body"] as? [String: Any])?["commonAnnotations"] as? [String: Any])?["description"] as? String)
            ?? ""
        #expect(description.contains("logged nothing for 45 minutes"), "\(description)")
        let runs =
            try JSONSerialization.jsonObject(
                with: Data(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout.utf8)) as? [[String: Any]]
            ?? []
        let stalled = runs.filter { $0["stalled_since"] is String }
        #expect(stalled.map { $0["run_id"] as? String } == ["run-a"])
        // The log's clock: its last line's time (plus the moment the replay took).
        #expect((stalled.first?["stalled_since"] as? String)?.hasPrefix("2025-06-19T18:45:0") == true)
        let metrics = try runledger("metrics", "--db", dir.file("l.db")).stdout
        #expect(metrics.contains("agent_workflow_runs_stalled{workflow=\"unknown\"} 1"))
        // Off: no alert, no mark.
        let quiet = TempDir()
        let off = try runledger(
            "replay", "--db", quiet.file("l.db"), "--utc-offset", "Z", "--stall-after", "0", log)
        #expect(off.status == 0)
        #expect(try runledger("runs", "--db", quiet.file("l.db"), "--json").stdout.contains("\"stalled_since\": null"))
        #expect(!(try runledger("runs", "--db", quiet.file("l.db"), "--json").stdout.contains("\"stalled_since\": \"")))
    }

    /// A live executor that goes silent: no newer line arrives, so only the host's clock moving on the
    /// log's clock can reveal the stall. Threshold 3 s (0.05 minutes) to keep the test short.
    @Test func serveNoticesARunThatWentSilentAsTimePasses() throws {
        let dir = TempDir()
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss,SSS"
        let written = Date()
        let now = f.string(from: written)
        let log = dir.file("x.log")
        try
            "\(now) - src.agents.claude_code.agent - INFO - 📝 \u{1B}[92mCreated workflow run record db-q for run_id run-q\u{1B}[0m\n"
            .write(toFile: log, atomically: true, encoding: .utf8)
        let receiver = try Receiver(dir: dir)
        defer { receiver.stop() }
        let serve = try ServeProcess(
            args: [
                "--db", dir.file("l.db"), "--utc-offset", "Z", "--stall-after", "0.05", "--webhook",
                "generic=\(receiver.url("/hook"))", log,
            ], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "\(serve.stderr)")
        let seen = serve.waitFor("/metrics", within: 30) {
            $0.contains("agent_workflow_runs_stalled{workflow=\"unknown\"} 1")
        }
        #expect(seen != nil, "\(serve.stderr)")
        // Not before the threshold: the line is dated `written` (to the millisecond), 3 s is needed.
        #expect(Date().timeIntervalSince(written) >= 2.99)
        for _ in 0..<100 where receiver.requests("/hook").isEmpty { usleep(100_000) }
        #expect(receiver.requests("/hook").map(key) == ["run-q/stalled_run"])
        #expect(serve.stop() == 0)
    }
}
