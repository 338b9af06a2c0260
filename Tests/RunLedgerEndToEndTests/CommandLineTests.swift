import Foundation
import Testing

/// Bad input ends a command with exit code 1 and one line naming the file or field at fault.
@Suite struct CommandLineTests {
    func oneLine(_ r: Result) -> String {
        r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aMissingLogFileIsNamed() throws {
        let dir = TempDir()
        let r = try runledger("replay", "--db", dir.file("l.db"), dir.file("nope.log"))
        #expect(r.status == 1)
        #expect(oneLine(r) == "runledger: \(dir.file("nope.log")): No such file or directory")
    }

    @Test func aCorruptLedgerIsNamed() throws {
        let dir = TempDir()
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: dir.file("bad.db")))
        let r = try runledger("runs", "--db", dir.file("bad.db"))
        #expect(r.status == 1)
        #expect(oneLine(r).hasPrefix("runledger: \(dir.file("bad.db")): not a RunLedger database"))
        #expect(!oneLine(r).contains("\n"))
        let missing = try runledger("metrics", "--db", dir.file("none.db"))
        #expect(missing.status == 1)
        #expect(oneLine(missing).contains("none.db: no such ledger"))
    }

    /// `--db` of a scheme no ledger backend has (a typo, or a backend this build lacks) is one line, and
    /// nothing is created: the location was once taken for a path, and replay made `foo:/x` beside it.
    @Test func aLedgerLocationOfAnUnknownSchemeIsNamedAndNothingIsCreated() throws {
        let dir = TempDir()
        let said =
            "runledger: foo://x: no ledger backend for foo:// (a ledger is the path of an SQLite file, or postgres://…,"
            + " or postgresql://…)"
        for args in [["replay", "--db", "foo://x", Paths.sampleLog], ["runs", "--db", "foo://x"]] {
            let r = try run(Paths.binary, args, directory: dir.path)
            #expect(r.status == 1)
            #expect(oneLine(r) == said, "\(args[0])")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func aBadStatusIsNamed() throws {
        let dir = TempDir()
        _ = try runledger("replay", "--db", dir.file("l.db"), Paths.sampleLog)
        let r = try runledger("runs", "--db", dir.file("l.db"), "--status", "done")
        #expect(r.status == 1)
        #expect(oneLine(r).contains("--status done"))
        let flagged = try runledger("runs", "--db", dir.file("l.db"), "--flagged", "--json")
        let runs = try JSONSerialization.jsonObject(with: Data(flagged.stdout.utf8)) as! [[String: Any]]
        #expect(runs.count == 13)  // the 13 log mismatches; the 4 false failures are among them
        #expect(runs.allSatisfy { ($0["false_failure"] as! Bool) || !($0["mismatch"] as! [String: Any]).isEmpty })
        let table = try runledger("runs", "--db", dir.file("l.db"), "--status", "failed")
        #expect(table.stdout.contains("FALSE-FAILURE"))
        #expect(table.stdout.hasSuffix("7 runs\n"))
    }

    @Test func checkNamesTheKeyAtFault() throws {
        let dir = TempDir()
        let good = dir.file("good.json"), bad = dir.file("bad.json"), badValue = dir.file("value.json")
        try #"{"db": "x.db", "listen": "127.0.0.1:9477", "sources": ["a.log"], "utc_offset": "-03:00"}"#.write(
            toFile: good, atomically: true, encoding: .utf8)
        try #"{"db": "x.db", "sourcess": ["a.log"]}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        try #"{"listen": "localhost"}"#.write(toFile: badValue, atomically: true, encoding: .utf8)
        #expect(try runledger("check", "--config", good).status == 0)
        let r = try runledger("check", "--config", bad)
        #expect(r.status == 1)
        #expect(oneLine(r).contains("\(bad): unknown key \"sourcess\""))
        let v = try runledger("check", "--config", badValue)
        #expect(v.status == 1)
        #expect(oneLine(v).contains("\"listen\": \"localhost\" is not HOST:PORT"))
        let profile = dir.file("profile.json")
        try #"{"profile": "openhands"}"#.write(toFile: profile, atomically: true, encoding: .utf8)
        let p = try runledger("check", "--config", profile)
        #expect(p.status == 1)
        #expect(
            oneLine(p) == "runledger: \(profile): \"profile\" is \"openhands\"; the built-in profiles are \"automagik\""
        )
        let journal = dir.file("journal.json")
        try #"{"journal": {"unitz": ["automagik-agents"]}}"#.write(toFile: journal, atomically: true, encoding: .utf8)
        #expect(try runledger("check", "--config", journal).stderr.contains("unknown key \"journal.unitz\""))
        try #"{"journal": {"units": ["a"], "start": "middle"}}"#.write(
            toFile: journal, atomically: true, encoding: .utf8)
        #expect(try runledger("check", "--config", journal).stderr.contains("\"journal.start\" must be"))
        let badMatch = try runledger("replay", "--db", dir.file("j.db"), "--journal-match", "nonsense")
        #expect(badMatch.status == 1)
        #expect(badMatch.stderr.contains("--journal-match nonsense: not FIELD=VALUE"))
        let notJSON = dir.file("x.json")
        try "db = 1".write(toFile: notJSON, atomically: true, encoding: .utf8)
        #expect(try runledger("check", "--config", notJSON).stderr.contains("\(notJSON): not valid JSON"))
    }

    /// On Linux the numbers 0 and 1 from JSONSerialization cast to Bool: they must still read as numbers,
    /// and true/false must still be refused where a number belongs.
    @Test func zeroAndOneAreNumbersAndBooleansAreNot() throws {
        let dir = TempDir()
        let path = dir.file("c.json")
        try #"{"tool_label_cap": 1, "stall_after_minutes": 0, "cost_budget_usd": 1}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        let ok = try runledger("check", "--config", path)
        #expect(ok.status == 0, "\(ok.stderr)")
        for (text, key) in [
            (#"{"tool_label_cap": true}"#, "tool_label_cap"),
            (#"{"stall_after_minutes": false}"#, "stall_after_minutes"),
            (#"{"cost_budget_usd": true}"#, "cost_budget_usd"),
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try runledger("check", "--config", path)
            #expect(r.status == 1)
            #expect(r.stderr.contains("\"\(key)\" must be"), "\(r.stderr)")
        }
    }

    /// The documented configuration example (docs/configuration.md) is a valid config file:
    /// documentation that `check` accepts.
    @Test func theDocumentedConfigExampleIsValid() throws {
        let readme = try String(
            contentsOf: Paths.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Configuration file"))
        let open = try #require(readme.range(of: "```json\n", range: section.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        let dir = TempDir()
        let path = dir.file("documented.json")
        try String(readme[open.upperBound..<close.lowerBound]).write(toFile: path, atomically: true, encoding: .utf8)
        setenv("SLACK_WEBHOOK_URL", "https://hooks.example/x", 1)
        setenv("AUTOMAGIK_API_KEY", "key", 1)
        let r = try runledger("check", "--config", path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(": ok ("))
    }
}
