import Foundation
import Testing

/// The same log replayed under every spelling a user may give it (relative, `./`, absolute, `../`, a
/// symlink) ends exactly like one replay: a source is the file, not the text of its path.
@Suite struct SourceSpellingTests {
    @Test func replayingOneFileUnderEverySpellingEndsLikeOneReplay() throws {
        let dir = TempDir()
        let logs = dir.file("logs")
        try FileManager.default.createDirectory(atPath: logs + "/sub", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: logs + "/x.log")
        try FileManager.default.createSymbolicLink(
            atPath: dir.file("current.log"), withDestinationPath: logs + "/x.log")
        let once = try runledger("replay", "--db", dir.file("once.db"), "--utc-offset=-03:00", logs + "/x.log")
        #expect(once.status == 0, "\(once.stderr)")

        let db = dir.file("l.db")
        let spellings: [(cwd: String, path: String)] = [
            (logs, "x.log"), (logs, "./x.log"), (dir.path, logs + "/x.log"), (logs + "/sub", "../x.log"),
            (dir.path, "logs/sub/../x.log"), (dir.path, "current.log"),
        ]
        for (cwd, path) in spellings {
            let r = try run(Paths.binary, ["replay", "--db", db, "--utc-offset=-03:00", path], directory: cwd)
            #expect(r.status == 0, "\(path): \(r.stderr)")
        }
        let metrics = try runledger("metrics", "--db", db).stdout
        #expect(samples(metrics).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +) == 918)
        // The label is the canonical path, whichever spelling came first.
        #expect(metrics.contains("runledger_lines_total{source=\"\(logs)/x.log\",result=\"matched\"}"))
        #expect(metrics == (try runledger("metrics", "--db", dir.file("once.db")).stdout))
        #expect(
            try runledger("runs", "--db", db, "--json").stdout
                == runledger("runs", "--db", dir.file("once.db"), "--json").stdout)
        #expect(
            try runledger("runs", "--db", db, "--flagged").stdout
                == runledger("runs", "--db", dir.file("once.db"), "--flagged").stdout)
    }

    @Test func serveGivenAnotherSpellingResumesWhereReplayStopped() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: dir.file("x.log"))
        let db = dir.file("l.db")
        let replay = try run(Paths.binary, ["replay", "--db", db, "--utc-offset=-03:00", "x.log"], directory: dir.path)
        #expect(replay.status == 0, "\(replay.stderr)")
        let before = try runledger("metrics", "--db", db).stdout
        let serve = try ServeProcess(
            args: ["--db", db, "--utc-offset=-03:00", dir.path + "/./x.log", dir.file("x.log")], dir: dir)
        // Time to read the file again, were it read again: then nothing read twice, one source.
        usleep(1_500_000)
        let body = serve.get("/metrics")?.body ?? ""
        let lines = samples(body).filter { $0.key.hasPrefix("runledger_lines_total{") }
        #expect(lines.values.reduce(0, +) == 918)
        #expect(
            Set(lines.keys.map { $0.split(separator: ",").first! }) == [
                "runledger_lines_total{source=\"\(dir.file("x.log"))\""
            ])
        #expect(serve.stop() == 0)
        #expect(try runledger("metrics", "--db", db).stdout == before)
    }
}
