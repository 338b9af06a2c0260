import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL ledger whose server goes away for 10 s while `serve` follows a growing log (issue 16):
/// the instance says so (`/healthz` 503 with the ledger down, `runledger_ledger_up 0`), keeps its place,
/// and once the server is back reads on exactly once: the ledger equals one clean replay of the log.
/// The server is this test's own (`PostgresServer.own`): stopping the shared one would cut the other
/// suites' sessions.
@Suite(.tags(.slow)) struct PostgresRestartTests {
    @Test func aServerStoppedForTenSecondsMidStreamLosesNothingAndCountsNothingTwice() throws {
        let dir = TempDir()
        let server = try PostgresServer.own()
        defer { server.stop() }
        let uri = server.uri(try server.createDatabase())
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "900", "--seed", "16",
                "--log", dir.file("all.log"), "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0)
        let all = try String(contentsOfFile: dir.file("all.log"), encoding: .utf8).split(separator: "\n").map {
            $0 + "\n"
        }
        _ = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset", "Z", dir.file("all.log"))

        // The executor appends a chunk every 20 ms: the outage falls in the middle of the stream.
        let log = dir.file("x.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let writer = Thread {
            let handle = try! FileHandle(forWritingTo: URL(fileURLWithPath: log))
            for start in stride(from: 0, to: all.count, by: 100) {
                handle.write(Data(all[start..<min(all.count, start + 100)].joined().utf8))
                usleep(20_000)
            }
            try! handle.close()
        }
        let serve = try ServeProcess(
            args: ["--db", uri, "--instance", "host-a", "--utc-offset", "Z", log], dir: dir)
        writer.start()
        func linesRead(_ body: String) -> Double {
            samples(body).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
        }
        #expect(serve.waitFor("/metrics", within: 30) { linesRead($0) > 0 } != nil)

        try server.pause()
        let stoppedAt = Date()
        // Said while it lasts: the health check fails naming the ledger, and the gauge is 0.
        let unhealthy = serve.waitFor("/healthz", within: 9) { $0.contains(#""ledger":{"up":false"#) }
        #expect(unhealthy != nil, "serve said: \(serve.stderr.suffix(600))")
        #expect(serve.get("/healthz")?.status == 503)
        #expect(samples(serve.get("/metrics")?.body ?? "")["runledger_ledger_up"] == 0)
        let linesWhileDown = linesRead(serve.get("/metrics")?.body ?? "")
        #expect(linesWhileDown < Double(all.count))
        usleep(UInt32(max(0, 10 - Date().timeIntervalSince(stoppedAt)) * 1_000_000))
        try server.resume()

        let caughtUp = serve.waitFor("/metrics", within: 90) { linesRead($0) == Double(all.count) }
        #expect(caughtUp != nil, "read \(linesRead(serve.get("/metrics")?.body ?? "")) of \(all.count) lines")
        #expect(samples(serve.get("/metrics")?.body ?? "")["runledger_ledger_up"] == 1)
        #expect(serve.waitFor("/healthz", within: 10) { $0.contains(#""ledger":{"up":true"#) } != nil)
        // The restart ended the session that held the instance's name; the writer holds it again, so a
        // second writer under that name is still refused.
        _ = FileManager.default.createFile(atPath: dir.file("empty.log"), contents: nil)
        let second = try runledger("replay", "--db", uri, "--instance", "host-a", dir.file("empty.log"))
        #expect(second.status != 0 && second.stderr.contains("instance host-a already writes this ledger"))
        for _ in 0..<500 where !writer.isFinished { usleep(10_000) }
        #expect(serve.stop() == 0)
        // Said once each way, not once per retry.
        #expect(serve.stderr.components(separatedBy: "ledger unavailable").count - 1 == 1)
        #expect(serve.stderr.components(separatedBy: "ledger available again").count - 1 == 1)

        // The same runs as one clean replay, field for field; each names the instance that wrote it (an
        // SQLite ledger's runs name none).
        let fleetRuns = withoutLogSources(try runledger("runs", "--db", uri, "--json").stdout)
        let instanceLine = "    \"instance\": \"host-a\",\n"
        #expect(fleetRuns.components(separatedBy: instanceLine).count - 1 == 900)
        #expect(
            fleetRuns.replacingOccurrences(of: instanceLine, with: "")
                == withoutLogSources(try runledger("runs", "--db", dir.file("once.db"), "--json").stdout))
        func withoutLines(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter { !$0.contains("runledger_lines_total") }
        }
        let killed = withoutLines(try runledger("metrics", "--db", uri, "--instance", "host-a").stdout)
        #expect(killed == withoutLines(try runledger("metrics", "--db", dir.file("once.db")).stdout))
        #expect(killed.contains { $0.hasPrefix("agent_workflow_runs_started_total") })
    }
}
