import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly once under `kill -9`: the position and the facts commit together, so a replay killed at
/// any instant and restarted ends exactly like one uninterrupted pass.
@Suite(.serialized, .tags(.slow)) struct KillTests {
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

        let started = Date()
        let once = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset", "Z", dir.file("big.log"))
        #expect(once.status == 0, "\(once.stderr)")
        // Kill delays scale with how fast this machine replays now (CI shares two cores), so that the
        // kills land while the replay is moving rather than before its first commit: each waits out a
        // restart's own cost (measured: a replay with nothing left to read), then up to 1/20 of a pass.
        let passMs = UInt32(max(2000, Date().timeIntervalSince(started) * 1000))
        let restartStarted = Date()
        _ = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset", "Z", dir.file("big.log"))
        let restartMs = UInt32(max(50, Date().timeIntervalSince(restartStarted) * 1000))

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
                usleep(restartMs * 1000 + UInt32.random(in: 0...(passMs * 1000 / 20), using: &rng))
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
        #expect(Set(progress).count >= 8, "\(progress)")
        print(
            "replay kill test: \(kills) kills, \(Set(progress).count) distinct progress points, restart \(restartMs) ms"
        )
        #expect(progress.last == Double(lineCount))

        let runsOnce = try runledger("runs", "--db", dir.file("once.db"), "--json").stdout
        let runsKilled = try runledger("runs", "--db", dir.file("killed.db"), "--json").stdout
        #expect(runsOnce.count > 1_000_000)
        #expect(runsKilled == runsOnce)
        let metricsOnce = try runledger("metrics", "--db", dir.file("once.db")).stdout
        #expect(try runledger("metrics", "--db", dir.file("killed.db")).stdout == metricsOnce)
    }

    @Test func serveKilledWhileTheFileIsAppendedAndRotatedEndsLikeOnePass() throws {
        let dir = TempDir()
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "1800", "--seed", "8",
                "--log", dir.file("all.log"), "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0)
        let all = try linesOf(dir.file("all.log"))
        #expect(all.count > 50_000)
        _ = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset", "Z", dir.file("all.log"))

        // The executor: appends in chunks, and logrotate rotates the file four times.
        let log = dir.file("x.log")
        let writer = startGrowingLog(log, lines: all, rotations: 4)

        var rng = SystemRandomNumberGenerator()
        var kills = 0
        while kills < 20 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.binary)
            p.arguments = ["serve", "--db", dir.file("killed.db"), "--listen", "127.0.0.1:0", "--utc-offset", "Z", log]
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 100_000...500_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            kills += 1
        }
        for _ in 0..<6000 where !writer.isFinished { usleep(10_000) }
        #expect(writer.isFinished)
        // All four rotations happened, some of them while serve was down.
        #expect((1...4).allSatisfy { FileManager.default.fileExists(atPath: log + ".\($0)") })

        // Once more, to the end, and stopped gracefully.
        let serve = try ServeProcess(args: ["--db", dir.file("killed.db"), "--utc-offset", "Z", log], dir: dir)
        let caughtUp = serve.waitFor("/metrics", within: 60) { body in
            samples(body).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +) == Double(all.count)
        }
        let read = samples(serve.get("/metrics")?.body ?? "").filter { $0.key.hasPrefix("runledger_lines_total{") }
            .values.reduce(0, +)
        #expect(caughtUp != nil, "read \(read) of \(all.count) lines; serve said: \(serve.stderr.suffix(800))")
        #expect(serve.stop() == 0)

        #expect(
            withoutLogSources(try runledger("runs", "--db", dir.file("killed.db"), "--json").stdout)
                == withoutLogSources(try runledger("runs", "--db", dir.file("once.db"), "--json").stdout))
        // The same series, but for the source name on runledger_lines_total.
        func withoutLines(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter { !$0.contains("runledger_lines_total") }
        }
        #expect(
            withoutLines(try runledger("metrics", "--db", dir.file("killed.db")).stdout)
                == withoutLines(try runledger("metrics", "--db", dir.file("once.db")).stdout))
    }
}
