import Foundation
import TestSupport
import Testing

/// Standard input and gzip-rotated files.
@Suite(.tags(.slow)) struct StreamSourceTests {
    func runCount(_ db: String) throws -> Int {
        let out = try runledger("runs", "--db", db, "--json").stdout
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [Any])?.count ?? -1
    }

    func cost(_ db: String) throws -> Double {
        samples(try runledger("metrics", "--db", db).stdout).filter {
            $0.key.hasPrefix("agent_workflow_cost_usd_total{")
        }.values.reduce(0, +)
    }

    @Test func gzipRotatedFilesReplayLikeThePlainFile() throws {
        let dir = TempDir()
        // Two gzip members in one file, as `cat a.gz b.gz` makes; split mid-file.
        let script =
            "head -n 400 \(Paths.sampleLog) | gzip > \(dir.file("x.log.1.gz")) && tail -n +401 \(Paths.sampleLog) | gzip >> \(dir.file("x.log.1.gz"))"
        #expect(try run("/bin/sh", ["-c", script]).status == 0)
        let r = try runledger("replay", "--db", dir.file("gz.db"), "--batch-lines", "97", dir.file("x.log.1.gz"))
        #expect(r.status == 0, "\(r.stderr)")
        _ = try runledger("replay", "--db", dir.file("plain.db"), Paths.sampleLog)
        #expect(try runCount(dir.file("gz.db")) == 30)
        #expect(abs(try cost(dir.file("gz.db")) - 27.1997) < 1e-9)
        #expect(
            withoutLogSources(try runledger("runs", "--db", dir.file("gz.db"), "--json").stdout)
                == withoutLogSources(try runledger("runs", "--db", dir.file("plain.db"), "--json").stdout))
        // Again: the saved position holds for a .gz too.
        _ = try runledger("replay", "--db", dir.file("gz.db"), dir.file("x.log.1.gz"))
        #expect(abs(try cost(dir.file("gz.db")) - 27.1997) < 1e-9)
        let lines = samples(try runledger("metrics", "--db", dir.file("gz.db")).stdout).filter {
            $0.key.hasPrefix("runledger_lines_total{")
        }
        #expect(lines.values.reduce(0, +) == 918)
    }

    @Test func damagedGzipIsNamed() throws {
        let dir = TempDir()
        try Data("not gzip at all\n".utf8).write(to: URL(fileURLWithPath: dir.file("bad.gz")))
        let r = try runledger("replay", "--db", dir.file("l.db"), dir.file("bad.gz"))
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(dir.file("bad.gz")): not valid gzip data"))
    }

    @Test func replayReadsStandardInput() throws {
        let dir = TempDir()
        let r = try run("/bin/sh", ["-c", "\(Paths.binary) replay --db \(dir.file("l.db")) - < \(Paths.sampleLog)"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try runCount(dir.file("l.db")) == 30)
        #expect(abs(try cost(dir.file("l.db")) - 27.1997) < 1e-9)
    }

    @Test func serveReadsStandardInputAsItComesAndOutlivesIt() throws {
        let dir = TempDir()
        let pipe = Pipe()
        let errPath = dir.file("serve.err")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.binary)
        p.arguments = ["serve", "--db", dir.file("l.db"), "--listen", "127.0.0.1:0", "--stdin"]
        p.standardInput = pipe
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; p.waitUntilExit() }
        var port = 0
        for _ in 0..<500 where port == 0 {
            let text = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            if let r = text.range(of: #"serving http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                port = Int(text[r].split(separator: ":").last!.dropLast()) ?? 0
            }
            usleep(20_000)
        }
        #expect(port > 0)
        let sample = try Data(contentsOf: URL(fileURLWithPath: Paths.sampleLog))
        pipe.fileHandleForWriting.write(sample)
        func started(_ body: String) -> Double {
            samples(body).filter { $0.key.hasPrefix("agent_workflow_runs_started_total{") }.values.reduce(0, +)
        }
        var seen = 0.0
        for _ in 0..<300 where seen < 30 {
            seen = started(httpGet(port: port, "/metrics")?.body ?? "")
            usleep(10_000)
        }
        #expect(seen == 30)
        try pipe.fileHandleForWriting.close()
        var health = ""
        for _ in 0..<300 where !health.contains("stdin ended") {
            health = httpGet(port: port, "/healthz")?.body ?? ""
            usleep(10_000)
        }
        #expect(health.contains("stdin ended"))
        #expect(p.isRunning)  // stdin ending does not stop the sidecar
        kill(p.processIdentifier, SIGTERM)
        for _ in 0..<500 where p.isRunning { usleep(10_000) }
        #expect(p.terminationStatus == 0)
    }
}
