import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly once under `kill -9`: the position and the facts commit together, so a replay killed at
/// any instant and restarted ends exactly like one uninterrupted pass.
@Suite(.serialized) struct KillTests {
    @Test func replayKilledTwentyTimesEndsLikeOnePass() throws {
        let dir = TempDir()
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "6300", "--seed", "5",
                "--envelopes", "mixed", "--log", dir.file("big.log"), "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let lineCount = try String(contentsOfFile: dir.file("big.log"), encoding: .utf8).utf8.reduce(0) {
            $0 + ($1 == 10 ? 1 : 0)
        }
        #expect(lineCount >= 200_000)

        let once = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset", "Z", dir.file("big.log"))
        #expect(once.status == 0, "\(once.stderr)")

        // Small transactions, so that kills land before, during and after commits.
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        var progress: [Double] = []
        var finished = false
        for _ in 0..<60 where !finished {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.binary)
            p.arguments = [
                "replay", "--db", dir.file("killed.db"), "--utc-offset", "Z", "--batch-lines", "997",
                dir.file("big.log"),
            ]
            p.standardError = FileHandle.nullDevice
            try p.run()
            if kills < 20 {
                usleep(UInt32.random(in: 50_000...450_000, using: &rng))
                if p.isRunning {
                    kill(p.processIdentifier, SIGKILL)
                    kills += 1
                }
            }
            p.waitUntilExit()
            finished = p.terminationReason == .exit && p.terminationStatus == 0 && kills >= 20
            let read = samples(try runledger("metrics", "--db", dir.file("killed.db")).stdout)
                .filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
            progress.append(read)
        }
        #expect(kills >= 20)
        #expect(finished)
        // The kills interrupted a replay that was moving: the lines read grew between most of them.
        #expect(Set(progress).count >= 15, "\(progress)")
        #expect(progress.last == Double(lineCount))

        let runsOnce = try runledger("runs", "--db", dir.file("once.db"), "--json").stdout
        let runsKilled = try runledger("runs", "--db", dir.file("killed.db"), "--json").stdout
        #expect(runsOnce.count > 1_000_000)
        #expect(runsKilled == runsOnce)
        let metricsOnce = try runledger("metrics", "--db", dir.file("once.db")).stdout
        #expect(try runledger("metrics", "--db", dir.file("killed.db")).stdout == metricsOnce)
    }
}
