import Foundation
import TestSupport
import Testing

/// Issue 12, item 2, end to end: the executor's wall-clock times become the instants they were, in the
/// zone `--timezone` names (or this machine's, from TZ / /etc/localtime), each with the offset in force
/// then. Expected instants are worked out from the zones' published rules, not from runledger.
@Suite(.tags(.slow)) struct TimeZoneTests {
    /// The lines of one run: a start, a cost, and an end (the executor's `Created …` / `Updated session …`).
    static func runLines(_ n: Int, start: String, end: String) -> [String] {
        let db = "3b1f0c52-8e0d-4c3a-9a57-2f6d1c0b7e\(10 + n)", id = "6fa6ada1-dc7e-465b-85a8-8f005518f9\(10 + n)"
        return [
            "\(start),000 - src.agents.claude_code.agent - INFO - Created workflow run record \(db) for run_id \(id)",
            "\(start),500 - src.agents.claude_code.sdk_executor - INFO - SDK Executor: Captured final metrics during streaming - Cost: $0.1000, Turns: 4",
            "\(end),000 - src.agents.claude_code.agent - INFO - Updated session s-\(n) with final status: completed (workflow_run_id: \(db))",
        ]
    }

    static func runID(_ n: Int) -> String { "6fa6ada1-dc7e-465b-85a8-8f005518f9\(10 + n)" }

    /// run id -> (started_at, ended_at), from `/api/runs` or `runs --json`.
    static func times(_ json: String) throws -> [String: (String?, String?)] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let runs = (object as? [[String: Any]]) ?? ((object as? [String: Any])?["runs"] as? [[String: Any]]) ?? []
        var out: [String: (String?, String?)] = [:]
        for r in runs { out[r["run_id"] as! String] = (r["started_at"] as? String, r["ended_at"] as? String) }
        return out
    }

    static func append(_ lines: [String], to path: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? h.close() }
        h.seekToEndOfFile()
        h.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    @Test func serveAcrossTheAutumnChangeKeepsEveryRunRight() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        // Berlin, 2025-10-26: 03:00 CEST (+02:00, 01:00Z) became 02:00 CET (+01:00).
        // Run 1, the day before, in summer time; run 2 starts in summer time and ends in winter time.
        let before =
            Self.runLines(1, start: "2025-10-25 12:00:00", end: "2025-10-25 12:05:00")
            + Self.runLines(2, start: "2025-10-26 01:50:00", end: "2025-10-26 03:10:00")
        try (before.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), "--timezone", "Europe/Berlin", log], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        #expect(serve.stderr.contains("executor times in Europe/Berlin"), "the zone is said: \(serve.stderr)")
        #expect(serve.waitFor("/api/runs", within: 20) { $0.contains(Self.runID(2)) } != nil)
        // The executor goes on writing after the change, while serve follows the file.
        try Self.append(
            Self.runLines(3, start: "2025-10-26 03:30:00", end: "2025-10-26 03:45:00")
                + Self.runLines(4, start: "2025-11-02 09:00:00", end: "2025-11-02 09:30:00"), to: log)
        let body = try #require(
            serve.waitFor("/api/runs", within: 20) { $0.contains(Self.runID(4)) }.flatMap { _ in
                serve.get("/api/runs")?.body
            })
        let t = try Self.times(body)
        #expect(t[Self.runID(1)]?.0 == "2025-10-25T10:00:00.000Z")
        #expect(t[Self.runID(1)]?.1 == "2025-10-25T10:05:00.000Z")
        // 01:50 CEST is 23:50Z the day before; 03:10 CET is 02:10Z: 2 h 20 min, not 1 h 20 min.
        #expect(t[Self.runID(2)]?.0 == "2025-10-25T23:50:00.000Z")
        #expect(t[Self.runID(2)]?.1 == "2025-10-26T02:10:00.000Z")
        #expect(t[Self.runID(3)]?.0 == "2025-10-26T02:30:00.000Z")
        #expect(t[Self.runID(3)]?.1 == "2025-10-26T02:45:00.000Z")
        #expect(t[Self.runID(4)]?.0 == "2025-11-02T08:00:00.000Z")
        #expect(t[Self.runID(4)]?.1 == "2025-11-02T08:30:00.000Z")
    }

    @Test func theDefaultIsTheHostsZoneWithItsRulesNotTodaysOffset() throws {
        // Before, `local` (the default) took this machine's offset once, at start: a July line read in
        // Berlin in winter came out an hour late. TZ names the host's zone, as the C library reads it.
        let dir = TempDir()
        let lines =
            Self.runLines(1, start: "2025-01-15 12:00:00", end: "2025-01-15 12:10:00")
            + Self.runLines(2, start: "2025-07-15 12:00:00", end: "2025-07-15 12:10:00")
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("x.log"), atomically: true, encoding: .utf8)
        for (n, flags) in [(1, [String]()), (2, ["--utc-offset", "local"]), (3, ["--timezone", "local"])] {
            let db = dir.file("l\(n).db")
            let replay = try run(
                Paths.binary, ["replay", "--db", db] + flags + [dir.file("x.log")],
                environment: ["TZ": "Europe/Berlin"])
            #expect(replay.status == 0, "\(flags): \(replay.stderr)")
            let t = try Self.times(try runledger("runs", "--db", db, "--json").stdout)
            #expect(t[Self.runID(1)]?.0 == "2025-01-15T11:00:00.000Z", "\(flags)")
            #expect(t[Self.runID(2)]?.0 == "2025-07-15T10:00:00.000Z", "\(flags)")
        }
    }

    @Test func journalEntriesUseTheZoneOnlyForTheTimeInTheirMessage() throws {
        // The journal keeps each entry's own instant (UTC): the executor's default message-only lines
        // take it, and no zone may touch it. A message that carries its own `asctime` (the verbose
        // format) is dated by that wall-clock time, in the executor's zone.
        let dir = TempDir()
        let python = try #require(which("python3"))
        let convert = Paths.root.appendingPathComponent("tools/log-to-journal-export.py").path
        func journal(_ name: String, _ lines: [String], startUs: Int, messageOnly: Bool) throws {
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: dir.file(name + ".log"), atomically: true, encoding: .utf8)
            let cmd =
                "\(python) \(convert) \(dir.file(name + ".log")) --start-us \(startUs)"
                + (messageOnly ? " --message-only" : "")
                + " | /lib/systemd/systemd-journal-remote -o \(dir.file(name + ".journal")) -"
            let r = try run("/bin/sh", ["-c", cmd])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // Verbose messages, stored by journald on 2025-09-01: their own times say January and July.
        try journal(
            "verbose",
            Self.runLines(1, start: "2025-01-15 12:00:00", end: "2025-01-15 12:10:00")
                + Self.runLines(2, start: "2025-07-15 12:00:00", end: "2025-07-15 12:10:00"),
            startUs: 1_756_684_800_000_000, messageOnly: false)
        // Message-only entries from 2025-07-15T15:00:00Z on, one a millisecond (the tool's spacing).
        try journal(
            "plain", Self.runLines(3, start: "2025-07-15 17:00:00", end: "2025-07-15 17:10:00"),
            startUs: 1_752_591_600_000_000, messageOnly: true)
        let r = try run(
            Paths.binary,
            [
                "replay", "--db", dir.file("l.db"), "--journal-file", dir.file("verbose.journal"), "--journal-file",
                dir.file("plain.journal"), "--journal-unit", "automagik-agents",
            ], environment: ["TZ": "Europe/Berlin"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try Self.times(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout)
        #expect(t[Self.runID(1)]?.0 == "2025-01-15T11:00:00.000Z")
        #expect(t[Self.runID(2)]?.0 == "2025-07-15T10:00:00.000Z")
        #expect(t[Self.runID(3)]?.0 == "2025-07-15T15:00:00.001Z")
        #expect(t[Self.runID(3)]?.1 == "2025-07-15T15:00:00.003Z")
    }

    @Test func saoPauloHadSummerTimeUntil2019() throws {
        let dir = TempDir()
        let lines =
            Self.runLines(1, start: "2018-01-15 12:00:00", end: "2018-01-15 12:10:00")
            + Self.runLines(2, start: "2025-01-15 12:00:00", end: "2025-01-15 12:10:00")
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("x.log"), atomically: true, encoding: .utf8)
        let config = dir.file("c.json")
        try #"{"timezone": "America/Sao_Paulo"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let replay = try runledger("replay", "--db", dir.file("l.db"), "--config", config, dir.file("x.log"))
        #expect(replay.status == 0, "\(replay.stderr)")
        let t = try Self.times(try runledger("runs", "--db", dir.file("l.db"), "--json").stdout)
        #expect(t[Self.runID(1)]?.0 == "2018-01-15T14:00:00.000Z")  // -02:00, summer time
        #expect(t[Self.runID(2)]?.0 == "2025-01-15T15:00:00.000Z")  // -03:00
    }

    @Test func aNameThatIsNotAZoneIsRefusedInOneLine() throws {
        let dir = TempDir()
        try "".write(toFile: dir.file("x.log"), atomically: true, encoding: .utf8)
        for (args, names) in [
            (["--timezone", "Europe/Berlinn"], "--timezone Europe/Berlinn"),
            (["--timezone", "../../etc/passwd"], "--timezone ../../etc/passwd"),
            (["--timezone", "Europe"], "--timezone Europe"),
            (["--timezone", "Europe/Berlin", "--utc-offset", "Z"], "--timezone Europe/Berlin and --utc-offset Z"),
        ] {
            let r = try run(Paths.binary, ["replay", "--db", dir.file("l.db")] + args + [dir.file("x.log")])
            #expect(r.status == 1, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(names), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("l.db")), "nothing was written")
        let config = dir.file("c.json")
        try #"{"timezone": "Mars/Olympus_Mons"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try runledger("replay", "--db", dir.file("l.db"), "--config", config, dir.file("x.log"))
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("\"timezone\" Mars/Olympus_Mons"))
        let bad = try run(
            Paths.binary, ["replay", "--db", dir.file("l.db"), dir.file("x.log")], environment: ["TZ": "Mars/Olympus"])
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("TZ=Mars/Olympus"))
    }
}
