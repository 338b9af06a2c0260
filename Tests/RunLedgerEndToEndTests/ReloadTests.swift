import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Reload (issue 15): SIGHUP re-reads the config while `serve` follows growing logs. Sources and sinks
/// added by a reload take effect without losing a position or an alert, and an invalid config is
/// refused with one line while the running one stays. Before, SIGHUP ended serve (exit 129).
@Suite(.serialized, .tags(.slow)) struct ReloadTests {
    /// The sample log (A) grows in four steps; log B (generated) and the sinks come by reload. B's eras
    /// put runs that raise alerts in both its halves, so each reload is followed by new alerts.
    struct Logs {
        let a: [Substring]
        let b: [Substring]

        init(dir: TempDir) throws {
            let python = try #require(which("python3"))
            let gen = try run(
                python,
                [
                    Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "120", "--seed",
                    "11", "--eras", "bug,fixed,bug", "--log", dir.file("b-full.log"), "--truth",
                    dir.file("b-truth.json"),
                ])
            #expect(gen.status == 0, "\(gen.stderr)")
            a = try Self.chunks(String(contentsOfFile: Paths.sampleLog, encoding: .utf8), 4)
            b = try Self.chunks(String(contentsOfFile: dir.file("b-full.log"), encoding: .utf8), 2)
        }

        /// `text` cut at line ends into `n` parts: a burst may well be cut in two, as a live log is.
        static func chunks(_ text: String, _ n: Int) -> [Substring] {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            let size = (lines.count + n - 1) / n
            return stride(from: 0, to: lines.count, by: size).map {
                Substring(lines[$0..<min($0 + size, lines.count)].joined(separator: "\n") + "\n")
            }
        }

        static func lineCount(_ parts: ArraySlice<Substring>) -> Double {
            Double(parts.reduce(0) { $0 + $1.utf8.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } })
        }
    }

    func append(_ path: String, _ text: Substring) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    func writeConfig(_ path: String, _ object: [String: Any]) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    func linesRead(_ exposition: String) -> Double {
        samples(exposition).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
    }

    /// The alerts the ledger holds (`RUN/KIND`), read beside the running serve.
    func alertKeys(_ db: String) throws -> Set<String> {
        let sqlite = try #require(which("sqlite3"))
        let r = try run(sqlite, ["-readonly", db, "SELECT dedup_key FROM outbox"])
        #expect(r.status == 0, "\(r.stderr)")
        return Set(r.stdout.split(separator: "\n").map(String.init))
    }

    /// `runs --json`, each record as sorted-key JSON, by run id: the ledger lists runs in the order
    /// first read, which for two files read side by side is their interleaving's, not a replay's.
    func runsByID(_ db: String) throws -> [String: String] {
        let text = try runledger("runs", "--db", db, "--json").stdout
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        var out: [String: String] = [:]
        for r in runs {
            let json = try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys])
            out[r["run_id"] as? String ?? ""] = String(decoding: json, as: UTF8.self)
        }
        #expect(out.count == runs.count && !runs.isEmpty)
        return out
    }

    func hangUp(_ serve: ServeProcess) { kill(serve.process.processIdentifier, SIGHUP) }

    /// Waits (bounded) until `serve`'s stderr holds `count` lines containing `text`.
    func waitForStderr(_ serve: ServeProcess, _ text: String, count: Int = 1, within seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if serve.stderr.components(separatedBy: "\n").filter({ $0.contains(text) }).count >= count { return true }
            usleep(20_000)
        }
        return false
    }

    @Test func sourcesAndSinksAddedBySIGHUPEndLikeOneReplayAndEachAlertReachesEachSinkOnce() throws {
        let dir = TempDir()
        let logs = try Logs(dir: dir)
        // The first sink fails twice first: its queue is still being retried when the second reload comes.
        let receiver = try Receiver(dir: dir, plan: #"{"/first": ["500", "500", "200:ok"]}"#, seconds: 180)
        defer { receiver.stop() }
        let (a, b, db, config) = (dir.file("a.log"), dir.file("b.log"), dir.file("served.db"), dir.file("c.json"))
        var settings: [String: Any] = ["db": db, "utc_offset": "Z", "sources": [a], "retry_max_delay_seconds": 1]
        try writeConfig(config, settings)
        try append(a, logs.a[0])
        let serve = try ServeProcess(args: ["--config", config], dir: dir)
        #expect(serve.port != 0, "\(serve.stderr)")
        func caughtUp(_ lines: Double) -> Bool {
            serve.waitFor("/metrics", within: 60) { linesRead($0) == lines } != nil
        }
        #expect(caughtUp(Logs.lineCount(logs.a[0...0])), "\(serve.stderr)")
        try append(a, logs.a[1])
        #expect(caughtUp(Logs.lineCount(logs.a[0...1])))
        let beforeFirst = try alertKeys(db)

        // Reload 1: log B and the first sink.
        settings["sources"] = [a, b]
        settings["webhooks"] = [["kind": "generic", "url": receiver.url("/first"), "name": "first"]]
        try writeConfig(config, settings)
        try append(b, logs.b[0])
        hangUp(serve)
        #expect(waitForStderr(serve, "reloaded \(config): sources added: \(b); sinks added: first"), "\(serve.stderr)")
        #expect(caughtUp(Logs.lineCount(logs.a[0...1]) + Logs.lineCount(logs.b[0...0])), "\(serve.stderr)")
        let beforeSecond = try alertKeys(db)

        // Reload 2, while the first sink's deliveries wait for their retry: a second sink.
        settings["webhooks"] = [
            ["kind": "generic", "url": receiver.url("/first"), "name": "first"],
            ["kind": "generic", "url": receiver.url("/second"), "name": "second"],
        ]
        try writeConfig(config, settings)
        hangUp(serve)
        #expect(waitForStderr(serve, "sinks added: second"), "\(serve.stderr)")
        try append(a, logs.a[2])
        try append(a, logs.a[3])
        try append(b, logs.b[1])
        let total = Logs.lineCount(logs.a[...]) + Logs.lineCount(logs.b[...])
        #expect(caughtUp(total), "\(serve.stderr)")

        let all = try alertKeys(db)
        let first = all.subtracting(beforeFirst)
        let second = all.subtracting(beforeSecond)
        #expect(!first.isEmpty && first.count > second.count && !second.isEmpty)
        func delivered(_ path: String, _ expected: Set<String>) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if Set(receiver.requests(path).filter(wasAccepted).map(idempotencyKey)) == expected { return true }
                usleep(50_000)
            }
            return false
        }
        #expect(delivered("/first", first))
        #expect(delivered("/second", second))
        usleep(1_000_000)  // time for a repeat to show, if one were coming
        let status = serve.stop()
        #expect(status == 0, "\(serve.stderr)")
        // Each alert raised while a sink was configured reached it once; none raised before.
        for (path, expected) in [("/first", first), ("/second", second)] {
            let accepted = receiver.requests(path).filter(wasAccepted).map(idempotencyKey)
            #expect(accepted.count == expected.count, "\(path): \(accepted.count) deliveries of \(expected.count)")
            #expect(Set(accepted) == expected, "\(path)")
        }
        #expect(receiver.requests("/first").count == first.count + 2, "two refusals retried, no more")

        // The ledger is one clean replay's: runs, counters and alerts.
        let once = dir.file("once.db")
        let replay = try runledger("replay", "--db", once, "--utc-offset", "Z", a, b)
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(try runsByID(db) == runsByID(once))
        func ledgerSeries(_ db: String) throws -> String {
            try runledger("metrics", "--db", db).stdout.split(separator: "\n")
                .filter { !$0.contains("runledger_alerts_total") }.joined(separator: "\n")
        }
        #expect(try ledgerSeries(db) == ledgerSeries(once))
        #expect(try alertKeys(once) == all)
    }

    @Test func anInvalidConfigIsRefusedWithOneLineAndTheRunningOneStays() throws {
        let dir = TempDir()
        let logs = try Logs(dir: dir)
        let (a, config) = (dir.file("a.log"), dir.file("c.json"))
        try writeConfig(config, ["db": dir.file("l.db"), "utc_offset": "Z", "sources": [a], "stall_after_minutes": 30])
        try append(a, logs.a[0])
        let serve = try ServeProcess(args: ["--config", config], dir: dir)
        #expect(serve.port != 0, "\(serve.stderr)")
        func reloadMetric() -> Double? {
            serve.get("/metrics").flatMap { samples($0.body)["runledger_config_last_reload_successful"] }
        }
        #expect(reloadMetric() == 1)

        try writeConfig(config, ["db": dir.file("l.db"), "sources": [a], "stall_after_minutes": -5])
        let before = serve.stderr
        hangUp(serve)
        #expect(waitForStderr(serve, "reload refused"), "\(serve.stderr)")
        let said = serve.stderr.dropFirst(before.count).split(separator: "\n")
        #expect(said.count == 1, "one line: \(said)")
        #expect(said.first?.contains("\(config): \"stall_after_minutes\"") == true, "names the file and the key")
        #expect(serve.process.isRunning)
        #expect(reloadMetric() == 0)

        // Still following, with the configuration it had (its zone: the file now has none).
        try append(a, logs.a[1])
        #expect(serve.waitFor("/metrics", within: 30) { linesRead($0) == Logs.lineCount(logs.a[0...1]) } != nil)
        try writeConfig(
            config,
            [
                "db": dir.file("l.db"), "utc_offset": "Z", "sources": [a], "stall_after_minutes": 10,
                "tool_label_cap": 32,
            ])
        hangUp(serve)
        #expect(waitForStderr(serve, "settings changed: stall_after_minutes"), "\(serve.stderr)")
        #expect(waitForStderr(serve, "tool_label_cap changed; kept as running until the next start"), "\(serve.stderr)")
        #expect(reloadMetric() == 1)
        #expect(serve.stop() == 0, "\(serve.stderr)")
    }
}
