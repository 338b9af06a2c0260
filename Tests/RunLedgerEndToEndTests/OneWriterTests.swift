import Foundation
import TestSupport
import Testing

/// One writer per ledger: a second `serve`, or a `replay` while `serve` runs, is refused with one line
/// naming the ledger and the pid holding it, and changes nothing; readers go on working.
@Suite(.tags(.slow)) struct OneWriterTests {
    @Test func aSecondWriterIsRefusedWhileServeRunsAndReadersStillWork() throws {
        let dir = TempDir()
        let db = dir.file("l.db")
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: dir.file("x.log"))
        // Another copy, under another name: a second writer would read it all into the same ledger.
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: dir.file("y.log"))
        let serve = try ServeProcess(args: ["--db", db, "--utc-offset=-03:00", dir.file("x.log")], dir: dir)
        defer { if serve.process.isRunning { _ = serve.stop() } }
        let caughtUp = serve.waitFor("/metrics", within: 20) {
            samples($0).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +) == 918
        }
        #expect(caughtUp != nil, "\(serve.stderr)")
        let runs = try runledger("runs", "--db", db, "--json")
        #expect(runs.status == 0, "\(runs.stderr)")
        let metrics = try runledger("metrics", "--db", db).stdout

        let pid = serve.process.processIdentifier
        let replay = try runledger("replay", "--db", db, "--utc-offset=-03:00", dir.file("y.log"))
        #expect(replay.status == 1)
        let said = replay.stderr.split(separator: "\n")
        #expect(said.count == 1, "\(replay.stderr)")
        #expect(said.first?.contains(db) == true)
        #expect(said.first?.contains("pid \(pid)") == true, "\(replay.stderr)")
        let second = try run(
            Paths.binary, ["serve", "--db", db, "--listen", "127.0.0.1:0", dir.file("y.log")], timeout: 10)
        #expect(second.status == 1)
        #expect(second.stderr.contains("pid \(pid)"), "\(second.stderr)")

        // Nothing changed, and the readers still read while serve runs.
        #expect(try runledger("runs", "--db", db, "--json").stdout == runs.stdout)
        #expect(try runledger("metrics", "--db", db).stdout == metrics)
        #expect(try runledger("alerts", "--db", db).status == 0)
        #expect(serve.get("/metrics")?.status == 200)

        #expect(serve.stop() == 0)
        let after = try runledger("replay", "--db", db, "--utc-offset=-03:00", dir.file("y.log"))
        #expect(after.status == 0, "\(after.stderr)")
        let lines = samples(try runledger("metrics", "--db", db).stdout).filter {
            $0.key.hasPrefix("runledger_lines_total{")
        }
        #expect(lines.values.reduce(0, +) == 2 * 918)
    }
}
