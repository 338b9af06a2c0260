import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The executor's status API as a report source, against `tools/status-api-stand-in.py` on 127.0.0.1
/// answering from the shared sample's `workflow_runs.db` (the table the real API reads).
@Suite(.serialized, .tags(.slow)) struct StatusAPITests {
    static let executorDB = Paths.shared.appendingPathComponent("workflow_runs.db").path
    static let path = "/api/v1/workflows/claude-code/run/{run_id}/status"

    /// A stand-in status API; `mode` as the script's --mode.
    final class StandIn {
        let tool: PythonTool
        let log: String
        var port: Int { tool.port }
        var url: String { "http://127.0.0.1:\(port)" }

        init(
            dir: TempDir, mode: String = "ok", apiKey: String? = nil, header: String? = nil, port: Int = 0,
            executorDB: String = StatusAPITests.executorDB
        ) throws {
            log = dir.file("api-requests-\(UUID().uuidString).jsonl")
            var args = [
                "--db", executorDB, "--log", log, "--mode", mode, "--seconds", "120", "--port",
                String(port),
            ]
            if let apiKey { args += ["--api-key", apiKey] }
            if let header { args += ["--header", header] }
            tool = try PythonTool("status-api-stand-in.py", args)
        }

        var requests: [[String: Any]] { jsonLines(log) }

        func requests(for runId: String) -> Int {
            requests.filter { ($0["path"] as? String)?.contains("/run/\(runId)/") == true }.count
        }

        func stop() { tool.stop() }
    }

    static func truth() throws -> [String: [String: Any]] {
        let t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth)))
        return try #require((t as? [String: Any])?["runs"] as? [String: [String: Any]])
    }

    static func runs(_ db: String) throws -> [String: [String: Any]] {
        let out = try runledger("runs", "--db", db, "--json")
        let list = try #require(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["run_id"] as! String, $0) })
    }

    static func replay(_ db: String, _ flags: [String], environment: [String: String] = [:]) throws -> Result {
        try run(
            Paths.binary, ["replay", "--db", db, "--utc-offset=-03:00"] + flags + [Paths.sampleLog],
            environment: environment)
    }

    /// Each run's `api` mismatch is the database's (truth.json's `mismatch_db`): the API reads that table.
    /// Runs in `unknownToAPI` (404) have no api report and no api mismatch.
    static func expectAPIMismatchesAreTheDatabases(_ db: String, unknownToAPI: Set<String> = []) throws {
        let runs = try Self.runs(db)
        let truth = try Self.truth()
        #expect(runs.count == truth.count)
        for (id, t) in truth {
            let r = try #require(runs[id], "run \(id) missing")
            let unknown = unknownToAPI.contains(id)
            #expect(((r["reported"] as? [String: Any])?["api"] != nil) == !unknown, "\(id) api report")
            let expected = unknown ? [] : t["mismatch_db"] as! [String]
            #expect(((r["mismatch"] as? [String: [String]])?["api"] ?? []) == expected, "\(id)")
        }
    }

    /// The ledger is the one the logs alone give (truth.json), and nothing came from the API.
    static func expectLogsReadAndNoAPIReport(_ db: String) throws {
        let runs = try Self.runs(db)
        let truth = try Self.truth()
        #expect(runs.count == truth.count)
        for (id, t) in truth {
            let r = try #require(runs[id], "run \(id) missing")
            #expect(r["status"] as? String == t["status"] as? String, "\(id) status")
            #expect(r["turns"] as? Int == t["turns"] as? Int, "\(id) turns")
            #expect(((r["mismatch"] as? [String: [String]])?["log"] ?? []) == t["mismatch_log"] as! [String], "\(id)")
            #expect((r["mismatch"] as? [String: Any])?["api"] == nil, "\(id) api mismatch")
            #expect((r["reported"] as? [String: Any])?["api"] == nil, "\(id) api report")
        }
    }

    @Test func theAPIRevealsTheDatabasesMismatchesAndIsAskedOncePerRun() throws {
        let dir = TempDir()
        let api = try StandIn(dir: dir, apiKey: "k-7f3a9c")
        defer { api.stop() }
        let hooks = try PythonTool("webhook-receiver.py", ["--log", dir.file("hooks.jsonl"), "--seconds", "90"])
        defer { hooks.stop() }
        let r = try Self.replay(
            dir.file("l.db"),
            [
                "--status-api", api.url + "/api/v1/", "--status-api-key", "env:RL_TEST_STATUS_API_KEY",
                "--webhook", "generic=http://127.0.0.1:\(hooks.port)/hook", "--deliver-for", "30",
            ], environment: ["RL_TEST_STATUS_API_KEY": "k-7f3a9c"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("status API"), "\(r.stderr)")
        try Self.expectAPIMismatchesAreTheDatabases(dir.file("l.db"))
        #expect(api.requests.count == 30)
        #expect(api.requests.allSatisfy { $0["key_ok"] as? Bool == true && $0["answer"] as? Int == 200 })

        // The one run whose mismatch only the executor's own table shows is alerted, naming the API.
        let apiOnly = try Self.truth().filter {
            !($0.value["mismatch_db"] as! [String]).isEmpty && ($0.value["mismatch_log"] as! [String]).isEmpty
        }
        #expect(apiOnly.count == 1)
        let alert = jsonLines(dir.file("hooks.jsonl")).first {
            ($0["headers"] as? [String: String])?["idempotency-key"] == "\(apiOnly.keys.first!)/reporting_mismatch"
        }
        let text = "\((alert?["body"] as? [String: Any])?["alerts"] ?? "")"
        #expect(text.contains("api reported 0 for"), "\(text)")

        // Answered runs are not asked again.
        let again = try Self.replay(dir.file("l.db"), ["--status-api", api.url, "--status-api-key", "k-7f3a9c"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(api.requests.count == 30)
    }

    @Test func aWrongKeyIsSaidOnceAndRaisesNothing() throws {
        let dir = TempDir()
        let api = try StandIn(dir: dir, apiKey: "right-key")
        defer { api.stop() }
        let r = try Self.replay(
            dir.file("l.db"),
            ["--status-api", api.url, "--status-api-key", "wrong-key-4711", "--status-api-header", "X-API-Key"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("status API") }
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.contains("answered 401") == true)
        #expect(!r.stderr.contains("wrong-key-4711"))
        #expect(api.requests.count == 1)  // the first refusal ends the poll
        try Self.expectLogsReadAndNoAPIReport(dir.file("l.db"))
    }

    @Test(arguments: ["down", "garbage", "500", "running", "slow:8"])
    func anAPIThatFailsRaisesNothingAndIsAskedAgainLater(mode: String) throws {
        let dir = TempDir()
        let bad = try StandIn(dir: dir, mode: mode)
        let port = bad.port
        let started = Date()
        let first = try Self.replay(dir.file("l.db"), ["--status-api", bad.url])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)  // one timeout, not one per run
        let lines = first.stderr.split(separator: "\n").filter { $0.contains("status API") }
        if mode == "running" {
            #expect(lines.isEmpty, "\(first.stderr)")  // not an error: asked again later
            #expect(bad.requests.count == 30)
        } else {
            #expect(lines.count == 1, "\(first.stderr)")
            #expect(lines.first?.contains("GET \(Self.path)") == true, "\(first.stderr)")
            #expect(bad.requests.count == (mode == "down" ? 0 : 1))
        }
        try Self.expectLogsReadAndNoAPIReport(dir.file("l.db"))
        bad.stop()

        // Back on the same port: the next replay (no new lines) fills the reports in.
        let good = try StandIn(dir: dir, port: port)
        defer { good.stop() }
        #expect(good.port == port)
        let second = try Self.replay(dir.file("l.db"), ["--status-api", good.url])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("status API"), "\(second.stderr)")
        try Self.expectAPIMismatchesAreTheDatabases(dir.file("l.db"))
    }

    @Test func serveCountsFailuresLogsOnceAndFillsInWhenTheAPIComesUp() throws {
        let dir = TempDir()
        // The API's table lacks two runs whose rows would be mismatches: it answers 404 for them.
        let unknown = Set(
            try Self.truth().filter { !($0.value["mismatch_db"] as! [String]).isEmpty }.keys.sorted().prefix(2))
        try FileManager.default.copyItem(atPath: Self.executorDB, toPath: dir.file("workflow_runs.db"))
        let ids = unknown.map { "'\($0)'" }.joined(separator: ",")
        let deleted = try run(
            try #require(which("python3")),
            [
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                    + "c.execute(\"DELETE FROM workflow_runs WHERE run_id IN (\(ids))\"); c.commit()",
                dir.file("workflow_runs.db"),
            ])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let down = try StandIn(dir: dir, mode: "down")
        let port = down.port
        down.stop()
        let serve = try ServeProcess(
            args: [
                "--db", dir.file("l.db"), "--utc-offset=-03:00", "--status-api", "http://127.0.0.1:\(port)",
                Paths.sampleLog,
            ], dir: dir)
        defer { _ = serve.stop() }
        let errors = "runledger_report_errors_total{source=\"api\"}"
        let failedTwice = serve.waitFor("/metrics", within: 30) { (samples($0)[errors] ?? 0) >= 2 }
        #expect(failedTwice != nil, "\(serve.stderr)")
        #expect(serve.stderr.components(separatedBy: "status API").count - 1 == 1, "\(serve.stderr)")

        let up = try StandIn(dir: dir, port: port, executorDB: dir.file("workflow_runs.db"))
        defer { up.stop() }
        let deadline = Date().addingTimeInterval(30)
        var answered = 0
        while Date() < deadline, answered < 28 {
            answered =
                (try Self.runs(dir.file("l.db"))).values.filter {
                    ($0["reported"] as? [String: Any])?["api"] != nil
                }.count
            usleep(300_000)
        }
        #expect(answered == 28)
        try Self.expectAPIMismatchesAreTheDatabases(dir.file("l.db"), unknownToAPI: unknown)
        #expect(up.requests.count == 30)
        usleep(6_000_000)  // at least one more poll: nothing left to ask, the 404s included
        #expect(up.requests.count == 30)
        for id in unknown { #expect(up.requests(for: id) == 1, "\(id)") }
        #expect(serve.stderr.components(separatedBy: "status API").count - 1 == 1, "\(serve.stderr)")
    }

    @Test func theConfigFileNamesTheAPIAndCheckValidatesIt() throws {
        let dir = TempDir()
        let api = try StandIn(dir: dir, apiKey: "from-env-1", header: "X-Executor-Key")
        defer { api.stop() }
        func config(_ name: String, _ statusAPI: String) throws -> String {
            let path = dir.file(name)
            try #"{"db": "\#(dir.file("l.db"))", "status_api": \#(statusAPI)}"#.write(
                toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let good = try config(
            "good.json",
            #"{"url": "\#(api.url)", "api_key": "env:RL_TEST_STATUS_API_KEY", "header": "X-Executor-Key"}"#)
        let checked = try run(Paths.binary, ["check", "--config", good])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stderr.contains("environment variable RL_TEST_STATUS_API_KEY is not set"))  // a note only
        let r = try run(
            Paths.binary, ["replay", "--config", good, "--utc-offset=-03:00", Paths.sampleLog],
            environment: ["RL_TEST_STATUS_API_KEY": "from-env-1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(api.requests.count == 30)
        #expect(api.requests.allSatisfy { $0["key_ok"] as? Bool == true })
        try Self.expectAPIMismatchesAreTheDatabases(dir.file("l.db"))

        for (statusAPI, message) in [
            (#"{"url": "http://x", "apikey": "k"}"#, #"unknown key "status_api.apikey""#),
            (#"{"api_key": "k"}"#, #""status_api" needs "url""#),
            (#"{"url": "ftp://x"}"#, #""ftp://x" is not an http:// or https:// base URL"#),
            (#"{"url": "http://x", "header": "X Key"}"#, #""X Key" is not an HTTP header name"#),
            (#""http://x""#, #""status_api" must be an object"#),
        ] {
            let bad = try config("bad.json", statusAPI)
            let c = try run(Paths.binary, ["check", "--config", bad])
            #expect(c.status == 1, "\(statusAPI)")
            #expect(c.stderr.contains(bad) && c.stderr.contains(message), "\(statusAPI): \(c.stderr)")
        }
    }
}
