import Foundation
import TestSupport
import Testing

/// `--executor-db postgresql://…`: the executor's table on a real PostgreSQL server (Debian's
/// binaries, 127.0.0.1), read through libpq, with the same results and failure modes as SQLite.
@Suite(.tags(.slow)) struct ExecutorPostgresEndToEndTests {
    let server: PostgresServer
    init() throws { server = try PostgresServer.shared() }

    /// A database of this test's own holding the sample's 30 `workflow_runs` rows (JSONB metadata,
    /// DECIMAL cost, as the executor's PostgreSQL repository makes them).
    func sampleDatabase() throws -> String {
        let db = try server.createDatabase()
        #expect(try ExecutorTable.load(from: Paths.executorDB, into: db, on: server) == 30)
        return db
    }

    func replay(_ dir: TempDir, _ extra: String...) throws -> Result {
        try run(Paths.binary, ["replay", "--db", dir.file("l.db"), "--utc-offset=-03:00"] + extra + [Paths.sampleLog])
    }

    /// `runs --json` of the ledger in `dir`, by run id.
    func runs(_ dir: TempDir) throws -> [String: [String: Any]] {
        let out = try runledger("runs", "--db", dir.file("l.db"), "--json").stdout
        let list = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: list.map { ($0["run_id"] as! String, $0) })
    }

    func truthMismatchDB() throws -> [String: [String]] {
        let truth =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth)))
            as! [String: Any]
        return (truth["runs"] as! [String: [String: Any]]).mapValues { $0["mismatch_db"] as! [String] }
    }

    func mismatchDB(_ run: [String: Any]) -> [String] { (run["mismatch"] as? [String: [String]])?["db"] ?? [] }

    @Test func theSampleOnPostgreSQLRevealsTheSameMismatchesAsOnSQLite() throws {
        let db = try sampleDatabase()
        let dir = TempDir()
        let r = try replay(dir, "--executor-db", server.uri(db))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        let got = try runs(dir)
        let truth = try truthMismatchDB()
        #expect(got.count == truth.count)
        for (id, expected) in truth { #expect(got[id].map(mismatchDB) == expected, "\(id)") }
        #expect(truth.values.filter { !$0.isEmpty }.count == 14)
        // And the same reports, field for field, as the SQLite file they were copied from.
        let sqliteDir = TempDir()
        #expect(try replay(sqliteDir, "--executor-db", Paths.executorDB).status == 0)
        for (id, run) in try runs(sqliteDir) {
            let fromSQLite = (run["reported"] as? [String: Any])?["db"] as? [String: Any]
            let fromPostgres = (got[id]?["reported"] as? [String: Any])?["db"] as? [String: Any]
            #expect(fromSQLite != nil)
            #expect(
                fromSQLite.map { NSDictionary(dictionary: $0) } == fromPostgres.map { NSDictionary(dictionary: $0) },
                "\(id)")
        }
    }

    @Test func aNullCostIsNotReportedSoNotAMismatch() throws {
        let db = try sampleDatabase()
        let truth = try truthMismatchDB()
        let id = try #require(truth.keys.sorted().first { truth[$0]!.contains("cost") })
        try server.psql("UPDATE workflow_runs SET cost_estimate = NULL WHERE run_id = '\(id)'", database: db)
        let dir = TempDir()
        #expect(try replay(dir, "--executor-db", server.uri(db)).status == 0)
        let got = try runs(dir)
        #expect(got[id].map(mismatchDB) == truth[id]!.filter { $0 != "cost" })
        for (other, expected) in truth where other != id { #expect(got[other].map(mismatchDB) == expected, "\(other)") }
    }

    /// Replays the sample with `--executor-db uri`, which cannot be read: one line on stderr names the
    /// database as `named` without the password, the exit is 0, and the runs are those of a replay
    /// without `--executor-db` (nothing is a mismatch because of it). Returns the line, for the reason.
    func unreadableLine(_ uri: String, named: String) throws -> String {
        let plain = TempDir()
        #expect(try replay(plain).status == 0)
        let dir = TempDir()
        let r = try replay(dir, "--executor-db", uri)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("runledger: \(named): "), "\(r.stderr)")
        #expect(!(r.stdout + r.stderr).contains("pw-"), "\(r.stderr)")
        let runsOut = try runledger("runs", "--db", dir.file("l.db"), "--json").stdout
        #expect(runsOut == (try runledger("runs", "--db", plain.file("l.db"), "--json").stdout))
        #expect(!runsOut.contains("\"db\""))
        return r.stderr
    }

    @Test func aServerThatIsDownIsSaidAndChangesNothing() throws {
        let port = unusedLoopbackPort()
        #expect(
            try unreadableLine(
                "postgresql://runledger:down-pw-1@127.0.0.1:\(port)/executor",
                named: "postgresql://runledger@127.0.0.1:\(port)/executor"
            ).contains("Connection refused"))
    }

    @Test func aWrongPasswordOrDatabaseIsSaidWithoutThePassword() throws {
        let db = try sampleDatabase()
        let role = PostgresServer.passwordRole
        try server.psql(
            "DO $$ BEGIN CREATE ROLE \(role) LOGIN PASSWORD 'right-pw-17'; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        #expect(
            try unreadableLine(
                server.uri(db, user: role, password: "wrong-pw-2"),
                named: "postgresql://\(role)@127.0.0.1:\(server.port)/\(db)"
            ).contains("password authentication failed"))
        #expect(
            try unreadableLine(
                server.uri("nope", user: role, password: "right-pw-17"),
                named: "postgresql://\(role)@127.0.0.1:\(server.port)/nope"
            ).contains("database \"nope\" does not exist"))
    }

    @Test func aDatabaseWithoutTheExecutorsTableIsNamed() throws {
        let db = try server.createDatabase()
        #expect(try unreadableLine(server.uri(db), named: server.uri(db)).contains("(no workflow_runs table)"))
        try server.psql("CREATE TABLE workflow_runs (run_id VARCHAR(255), status VARCHAR(50))", database: db)
        #expect(
            try unreadableLine(server.uri(db), named: server.uri(db)).contains(
                "workflow_runs lacks cost_estimate, metadata, total_tokens"))
    }

    /// `serve` polls every 5 s: a database that cannot be read yet is said and counted, and read on a
    /// later poll as soon as it can be, without a restart. (That a cause is logged once, not on every
    /// poll, is the poller's, checked with the status API; one failed poll here keeps the test short.)
    @Test func serveReadsTheDatabaseOnceItCanAfterSayingWhyItCouldNot() throws {
        let db = try server.createDatabase()
        let dir = TempDir()
        let serve = try ServeProcess(
            args: ["--db", dir.file("l.db"), "--utc-offset=-03:00", "--executor-db", server.uri(db), Paths.sampleLog],
            dir: dir)
        defer { _ = serve.stop() }
        let errors = "runledger_report_errors_total{source=\"db\"}"
        #expect(serve.waitFor("/metrics", within: 30) { (samples($0)[errors] ?? 0) >= 1 } != nil, "\(serve.stderr)")
        #expect(serve.stderr.components(separatedBy: "no workflow_runs table").count == 2, "\(serve.stderr)")

        try ExecutorTable.load(from: Paths.executorDB, into: db, on: server)
        let truth = try truthMismatchDB()
        let deadline = Date().addingTimeInterval(30)
        var reported = 0
        while Date() < deadline, reported < truth.count {
            reported = try runs(dir).values.filter { ($0["reported"] as? [String: Any])?["db"] != nil }.count
            usleep(200_000)
        }
        #expect(reported == truth.count)
        let got = try runs(dir)
        for (id, expected) in truth { #expect(got[id].map(mismatchDB) == expected, "\(id)") }
    }

    @Test func aMalformedConnectionStringStopsBeforeReadingAndCheckSaysSo() throws {
        let dir = TempDir()
        let bad = "postgresql://runledger:bad-pw-3@127.0.0.1:notaport/executor"
        let r = try replay(dir, "--executor-db", bad)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("runledger: --executor-db: not a valid PostgreSQL connection string"), "\(r.stderr)")
        #expect(!r.stderr.contains("pw-"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("l.db")))

        let config = dir.file("c.json")
        for value in [bad, "postgresql://runledger:bad-pw-3@127.0.0.1/executor?sslmode=require&bogus=1"] {
            try #"{"executor_db": "\#(value)"}"#.write(toFile: config, atomically: true, encoding: .utf8)
            let check = try runledger("check", "--config", config)
            #expect(check.status == 1)
            #expect(check.stderr.contains("\(config): \"executor_db\": not a valid PostgreSQL connection string"))
            #expect(!check.stderr.contains("pw-"), "\(check.stderr)")
            #expect(check.stderr.split(separator: "\n").count == 1, "\(check.stderr)")
        }
        try #"{"executor_db": "\#(server.uri("executor"))"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try runledger("check", "--config", config).status == 0)
    }
}
