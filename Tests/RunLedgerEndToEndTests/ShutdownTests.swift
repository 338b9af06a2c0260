import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Graceful shutdown (issue 14): `serve` stops within one batch on SIGTERM, even in the middle of a
/// long catch-up, and the next start resumes from the saved position as if nothing had happened.
/// Before, the follower read the whole backlog before it looked at the stop flag.
@Suite(.serialized, .tags(.slow)) struct ShutdownTests {
    @Test func sigtermDuringACatchUpStopsWithinABatchAndTheNextStartResumesExactly() throws {
        let dir = TempDir()
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "12600", "--seed", "7",
                "--envelopes", "mixed", "--log", dir.file("big.log"), "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let lineCount = try String(contentsOfFile: dir.file("big.log"), encoding: .utf8).utf8.reduce(0) {
            $0 + ($1 == 10 ? 1 : 0)
        }
        #expect(lineCount >= 400_000)
        let once = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset", "Z", dir.file("big.log"))
        #expect(once.status == 0, "\(once.stderr)")

        func linesRead(_ exposition: String) -> Double {
            samples(exposition).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
        }
        let serve = try ServeProcess(
            args: ["--db", dir.file("stopped.db"), "--utc-offset", "Z", dir.file("big.log")], dir: dir)
        #expect(serve.port != 0, "\(serve.stderr)")
        // The first batch (100,000 lines) has committed: the catch-up is under way.
        #expect(serve.waitFor("/metrics", within: 60) { linesRead($0) > 0 } != nil)
        let signalled = Date()
        let status = serve.stop()  // SIGTERM, then SIGKILL after 10 s
        let seconds = Date().timeIntervalSince(signalled)
        print("SIGTERM during a catch-up of \(lineCount) lines: exited \(status) after \(seconds) s")
        #expect(status == 0, "a stop by SIGTERM exits 0: \(serve.stderr)")
        let atStop = linesRead(try runledger("metrics", "--db", dir.file("stopped.db")).stdout)
        #expect(atStop > 0)
        #expect(atStop < Double(lineCount), "it stopped in the middle of the catch-up, not after it")

        let resumed = try runledger("replay", "--db", dir.file("stopped.db"), "--utc-offset", "Z", dir.file("big.log"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(linesRead(try runledger("metrics", "--db", dir.file("stopped.db")).stdout) == Double(lineCount))
        let runsOnce = try runledger("runs", "--db", dir.file("once.db"), "--json").stdout
        #expect(try runledger("runs", "--db", dir.file("stopped.db"), "--json").stdout == runsOnce)
        let metricsOnce = try runledger("metrics", "--db", dir.file("once.db")).stdout
        #expect(try runledger("metrics", "--db", dir.file("stopped.db")).stdout == metricsOnce)
    }
}
