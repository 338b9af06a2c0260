import Foundation
import Testing

/// `runledger runs` takes /api/runs's filters, shows the newest 50 by default, and its start times in the
/// reader's zone: what an operator types after an alert, on the shared sample (30 runs, 4 false failures).
@Suite struct RunsCommandTests {
    /// The shared sample replayed into a ledger of `dir` (which removes it when the test ends).
    func sample(in dir: TempDir) throws -> String {
        let db = dir.file("l.db")
        _ = try runledger("replay", "--db", db, Paths.sampleLog)
        return db
    }

    func json(_ r: Result) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    var truth: [String: [String: Any]] {
        get throws {
            let t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth)))
            return try #require((t as? [String: Any])?["runs"] as? [String: [String: Any]])
        }
    }

    @Test func theFiltersSelectWhatTheySay() throws {
        let dir = TempDir()
        let db = try sample(in: dir)
        let truth = try truth
        let falseFailures = try json(runledger("runs", "--db", db, "--false-failure", "--json"))
        #expect(
            Set(falseFailures.map { $0["run_id"] as! String })
                == Set(truth.values.filter { $0["false_failure"] as! Bool }.map { $0["run_id"] as! String }))
        #expect(!falseFailures.isEmpty)
        let builder = try json(runledger("runs", "--db", db, "--workflow", "builder", "--json"))
        #expect(builder.count == truth.values.filter { $0["workflow"] as! String == "builder" }.count)
        #expect(builder.allSatisfy { $0["workflow"] as! String == "builder" })
        let turns = try json(runledger("runs", "--db", db, "--mismatch", "turns", "--json"))
        #expect(turns.count == truth.values.filter { ($0["mismatch_log"] as! [String]).contains("turns") }.count)
        let id = try #require(truth.keys.sorted().first)
        let byPrefix = try json(runledger("runs", "--db", db, "--q", String(id.prefix(8)), "--json"))
        #expect(byPrefix.map { $0["run_id"] as! String } == [id])
    }

    @Test func theTableShowsTheNewestFirstAndSaysWhatItLeftOut() throws {
        let dir = TempDir()
        let db = try sample(in: dir)
        let all = try json(runledger("runs", "--db", db, "--json"))
        #expect(all.count == 30)
        let table = try runledger("runs", "--db", db, "--limit", "3").stdout
        let rows = table.split(separator: "\n").dropFirst().dropLast()
        #expect(rows.map { String($0.prefix(36)) } == all.suffix(3).reversed().map { $0["run_id"] as! String })
        #expect(table.hasSuffix("3 of 30 runs, newest first (--limit N shows more)\n"))
        let newest = try json(runledger("runs", "--db", db, "--limit", "2", "--json"))
        #expect(newest.map { $0["run_id"] as! String } == all.suffix(2).reversed().map { $0["run_id"] as! String })
    }

    @Test func startTimesAreInTheReadersZone() throws {
        let dir = TempDir()
        let db = try sample(in: dir)
        let first = try #require(try json(runledger("runs", "--db", db, "--json")).first)
        let utc = try #require(first["started_at"] as? String)
        // Asia/Kolkata is +05:30 all year: the wall clock is the UTC one moved by 5 h 30 min.
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let instant = try #require(parser.date(from: utc))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant + 19_800)
        let expected = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d +05:30", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        let table = try run(
            Paths.binary, ["runs", "--db", db, "--limit", "100"], environment: ["TZ": "Asia/Kolkata"]
        ).stdout
        let row = try #require(table.split(separator: "\n").first { $0.hasPrefix(first["run_id"] as! String) })
        #expect(row.contains(expected), "\(row)")
    }

    @Test func aBadFilterNamesTheOption() throws {
        let dir = TempDir()
        let db = try sample(in: dir)
        let r = try runledger("runs", "--db", db, "--mismatch", "price")
        #expect(r.status == 1)
        #expect(r.stderr.contains("--mismatch price: must be any or one of cost, tokens, turns, tools"))
        let since = try runledger("runs", "--db", db, "--since", "yesterday")
        #expect(since.status == 1)
        #expect(since.stderr.contains("--since yesterday: must be an RFC 3339 time"))
    }
}
