import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// journald through sd-journal, on real journal files written by systemd-journal-remote from Journal
/// Export Format: binary MESSAGE fields (the executor's ANSI colours), two units interleaved, the
/// executor's default message-only format dated by the entries' own timestamps.
@Suite(.serialized, .tags(.slow)) struct JournalTests {
    static let remote = "/lib/systemd/systemd-journal-remote"

    /// Writes `lines` of the sample (message-only) into `journal`, with another unit's look-alike lines.
    func writeJournal(_ journal: String, skip: Int = 0, count: Int? = nil, startUs: Int = 1_750_366_800_000_000) throws
    {
        let python = try #require(which("python3"))
        let convert = Paths.root.appendingPathComponent("tools/log-to-journal-export.py").path
        var args =
            "\(python) \(convert) \(Paths.sampleLog) --message-only --noise-unit other.service --skip \(skip) --start-us \(startUs)"
        if let count { args += " --count \(count)" }
        let r = try run("/bin/sh", ["-c", "\(args) | \(Self.remote) -o \(journal) -"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func truthFailures(_ db: String) throws -> [String] {
        let runs =
            try JSONSerialization.jsonObject(with: Data(try runledger("runs", "--db", db, "--json").stdout.utf8))
            as! [[String: Any]]
        let truth =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth)))
            as! [String: Any]
        let expected = truth["runs"] as! [String: [String: Any]]
        let byId = Dictionary(uniqueKeysWithValues: runs.map { ($0["run_id"] as! String, $0) })
        var wrong: [String] = byId.count == expected.count ? [] : ["\(byId.count) runs"]
        for (id, t) in expected {
            guard let r = byId[id] else { wrong.append("\(id) missing"); continue }
            if r["status"] as? String != t["status"] as? String { wrong.append("\(id) status") }
            if abs((r["cost_usd"] as? Double ?? -1) - (t["cost_usd"] as! Double)) > 1e-9 { wrong.append("\(id) cost") }
            if r["turns"] as? Int != t["turns"] as? Int { wrong.append("\(id) turns") }
            if r["total_tokens"] as? Int != t["total_tokens"] as? Int { wrong.append("\(id) tokens") }
            if r["false_failure"] as? Bool != t["false_failure"] as? Bool { wrong.append("\(id) false failure") }
            let mismatch = (r["mismatch"] as? [String: [String]])?["log"] ?? []
            if mismatch != t["mismatch_log"] as! [String] { wrong.append("\(id) mismatch") }
        }
        return wrong
    }

    @Test(arguments: [
        ["--journal-unit", "automagik-agents"], ["--journal-identifier", "python"],
        ["--journal-match", "_SYSTEMD_UNIT=automagik-agents.service"],
    ])
    func aJournalReplaysToTheTruth(selection: [String]) throws {
        let dir = TempDir()
        try writeJournal(dir.file("x.journal"))
        let r = try run(
            Paths.binary, ["replay", "--db", dir.file("l.db"), "--journal-file", dir.file("x.journal")] + selection)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try truthFailures(dir.file("l.db")) == [])
        // The other unit's look-alike lines were not read; the run got durations from the entries' times.
        let metrics = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout)
        #expect(metrics.filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +) == 918)
        #expect((metrics["agent_workflow_run_duration_seconds_count{workflow=\"builder\"}"] ?? 0) > 0)
    }

    @Test func aJournalResumesAfterItsCursor() throws {
        let dir = TempDir()
        try writeJournal(dir.file("once.journal"))
        _ = try runledger(
            "replay", "--db", dir.file("once.db"), "--journal-file", dir.file("once.journal"), "--journal-unit",
            "automagik-agents")
        // The same entries in two writes (the second appends to the same file), replayed after each.
        try writeJournal(dir.file("x.journal"), count: 400)
        _ = try runledger(
            "replay", "--db", dir.file("l.db"), "--journal-file", dir.file("x.journal"), "--journal-unit",
            "automagik-agents")
        try writeJournal(dir.file("x.journal"), skip: 400, startUs: 1_750_366_800_000_000 + 401 * 1000 + 200)
        _ = try runledger(
            "replay", "--db", dir.file("l.db"), "--journal-file", dir.file("x.journal"), "--journal-unit",
            "automagik-agents")
        #expect(try truthFailures(dir.file("l.db")) == [])
        let lines = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout).filter {
            $0.key.hasPrefix("runledger_lines_total{")
        }
        #expect(lines.values.reduce(0, +) == 918)  // nothing read twice
    }

    @Test func aVanishedCursorIsSaidAndNothingIsReadTwice() throws {
        let dir = TempDir()
        let journal = dir.file("x.journal")
        try writeJournal(journal, count: 400)
        _ = try runledger(
            "replay", "--db", dir.file("l.db"), "--journal-file", journal, "--journal-unit", "automagik-agents")
        // The journal is replaced (vacuumed and rewritten): the saved entry is gone.
        try FileManager.default.removeItem(atPath: journal)
        try writeJournal(journal)
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--journal-file", journal, "--journal-unit", "automagik-agents")
        #expect(r.status == 0)
        #expect(r.stderr.contains("saved journal cursor is no longer in the journal"))
        #expect(try truthFailures(dir.file("l.db")) == [])
        let lines = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout).filter {
            $0.key.hasPrefix("runledger_lines_total{")
        }
        #expect(lines.values.reduce(0, +) == 918)
    }

    @Test func serveFollowsAJournalAsItIsWritten() throws {
        let dir = TempDir()
        let fifo = dir.file("in.fifo"), journal = dir.file("live.journal")
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: Self.remote)
        writer.arguments = ["-o", journal, fifo]
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        defer { writer.terminate(); writer.waitUntilExit() }
        let input = try #require(FileHandle(forWritingAtPath: fifo))
        func entry(_ message: String, _ us: Int) -> Data {
            Data(
                "__REALTIME_TIMESTAMP=\(us)\nMESSAGE=\(message)\n_SYSTEMD_UNIT=automagik-agents.service\nSYSLOG_IDENTIFIER=python\n\n"
                    .utf8)
        }
        input.write(entry("Starting Automagik Agents API", 1_750_366_800_000_000))
        var waited = 0
        while !FileManager.default.fileExists(atPath: journal), waited < 500 { usleep(10_000); waited += 1 }
        let serve = try ServeProcess(
            args: [
                "--db", dir.file("l.db"), "--journal-file", journal, "--journal-unit", "automagik-agents",
                "--journal-start", "beginning",
            ], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        func linesRead(_ body: String) -> Double {
            samples(body).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
        }
        #expect(serve.waitFor("/metrics", within: 5) { linesRead($0) >= 1 } != nil)
        var worst = 0.0
        for i in 1...20 {
            let before = linesRead(serve.get("/metrics")?.body ?? "")
            input.write(
                entry(
                    "SDK Executor: Processing \(i) collected messages for data extraction",
                    1_750_366_800_000_000 + i * 1000))
            let took = try #require(
                serve.waitFor("/metrics", within: 1.0) { linesRead($0) >= before + 1 },
                "entry \(i) not seen within a second")
            worst = max(worst, took)
        }
        #expect(worst < 1.0)
        #expect(serve.get("/healthz")?.body.contains("\"up\":true") == true)
    }
}
