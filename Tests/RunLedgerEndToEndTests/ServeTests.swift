import Foundation
import TestSupport
import Testing

/// `serve` follows a growing file and answers over HTTP on loopback.
@Suite(.serialized, .tags(.slow)) struct ServeTests {
    @Test func anAppendedLineShowsOnMetricsWithinASecond() throws {
        let dir = TempDir()
        let log = dir.file("executor.log")
        let sample = try String(contentsOfFile: Paths.sampleLog, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        try (sample[0..<100].joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), log], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        let startedBefore = serve.waitFor("/metrics", within: 5) {
            $0.contains("runledger_lines_total{source=\"\(log)\",result=\"matched\"}")
        }
        #expect(startedBefore != nil)

        // One status-endpoint line for a run that has ended: the mismatch counter must move.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        let line =
            "2025-06-19 18:00:09,999 - src.api.routes.claude_code_routes - INFO - 📝 \u{1B}[92mStatus endpoint for 9508236e-08c1-44fb-803d-4342a9347aa8: Using session metadata - Cost: $0.0000, Tokens: 0, Turns: 0, Tools: 0\u{1B}[0m\n"
        let before = samples(serve.get("/metrics")?.body ?? "")
        let linesBefore = before.filter { $0.key.hasPrefix("runledger_lines_total") }.values.reduce(0, +)
        handle.write(Data(line.utf8))
        try handle.close()
        let took = serve.waitFor("/metrics", within: 1.0) { body in
            samples(body).filter { $0.key.hasPrefix("runledger_lines_total") }.values.reduce(0, +) == linesBefore + 1
        }
        #expect(took != nil, "the appended line did not show within a second")
        // Caught up: nothing written is left unread.
        #expect(samples(serve.get("/metrics")?.body ?? "")["runledger_source_lag_bytes{source=\"\(log)\"}"] == 0)
    }

    @Test func httpEndpointsServeTheLedger() throws {
        let dir = TempDir()
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        #expect(serve.waitFor("/api/runs?limit=100", within: 10) { $0.filter { $0 == "{" }.count >= 30 } != nil)

        let flagged = try #require(serve.get("/api/runs?flagged=1"))
        #expect(flagged.status == 200)
        let runs = try JSONSerialization.jsonObject(with: Data(flagged.body.utf8)) as! [[String: Any]]
        #expect(runs.count == 13)
        let one = try #require(serve.get("/api/runs/55df2f23-0b42-44c0-9ce0-62b822a78b21"))
        let run = try JSONSerialization.jsonObject(with: Data(one.body.utf8)) as! [String: Any]
        #expect(run["false_failure"] as? Bool == true)
        #expect(run["turns"] as? Int == 17)
        #expect(serve.get("/api/runs/no-such-run")?.status == 404)
        #expect(serve.get("/api/runs?status=nonsense")?.status == 400)
        // Pages are bounded: up to 1000 runs, and a larger limit is refused, not cut short in silence
        // (before: up to 10,000 were built on the serving threads).
        #expect(serve.get("/api/runs?limit=1000")?.status == 200)
        let tooMany = try #require(serve.get("/api/runs?limit=1001"))
        #expect(tooMany.status == 400)
        #expect(tooMany.body.contains("limit must be at most 1000"))
        // The source board is updated when a pass returns, just after its data is committed.
        #expect(serve.waitFor("/healthz", within: 5) { $0.contains("\"up\":true") } != nil)
        #expect(serve.get("/healthz")?.status == 200)
        let page = try #require(serve.get("/"))
        #expect(page.body.contains("55df2f23-0b42-44c0-9ce0-62b822a78b21"))
        #expect(page.body.contains("/metrics"))
        #expect(serve.stop() == 0)
    }

    @Test func aMissingSourceIsReportedAsDownUntilItAppears() throws {
        let dir = TempDir()
        let log = dir.file("later.log")
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), log], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        let down = serve.waitFor("/metrics", within: 5) { $0.contains("runledger_source_up{source=\"\(log)\"} 0") }
        #expect(down != nil)
        #expect(serve.get("/healthz")?.status == 503)
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        // Seen here within 0.3 s alone and 2 s under the full suite on 2 cores; once it took over 5 s there.
        #expect(serve.waitFor("/healthz", within: 20) { $0.contains("\"up\":true") } != nil)
    }
}
