import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import RunLedgerCore
import RunLedgerIngest
import RunLedgerReports
import RunLedgerServer
import RunLedgerStore
import Synchronization
import Testing

/// The reads people and scripts make — `/api/runs` with every filter and its pages, a run by id, the
/// pages, and what `runs --json`, `metrics` and `alerts` read — answer byte for byte the same on every
/// backend, through the backend seam (`LedgerBackend`, `LedgerReader`'s pool) as `serve` wires them.
@Suite struct StoreReadsTests {
    /// The ledger the reads are made of (`StoreContent`), on the SQLite backend, as the reference.
    func reference(_ dir: TempDir) throws -> any LedgerBackend {
        let backend = try StoreKind.sqlite.backend(dir.file("reference.db"))
        try StoreContent.fill(try backend.openWriter(), in: dir.path)
        return backend
    }

    @Test(arguments: StoreKind.allCases)
    func theAPIAndThePagesAnswerAlikeOnEveryBackend(store: StoreKind) async throws {
        let dir = TempDir()
        let reference = try reference(dir)
        let expected = try HTTPReads(reference)
        let backend = try store.backend(dir.file("l.db"))
        try StoreContent.fill(try backend.openWriter(), in: dir.path)
        let got = try HTTPReads(backend)

        let all = try reference.openReader().allRuns(RunFilter())
        let someRun = all[all.count / 2]
        let since = Timestamps.iso8601(ms: try #require(someRun.startedAtMs))
        // A page of 4 and the next one, as a client follows `X-Next-Cursor`.
        let next = try #require(try await expected.get("/api/runs?limit=4").headers["X-Next-Cursor"])
        // And within a time range (PostgreSQL starts its walk at the range's newest run).
        let older = Timestamps.iso8601(ms: try #require(all[all.count / 4].startedAtMs))
        let range = "since=\(older)&until=\(since)&limit=2"
        let nextInRange = try #require(try await expected.get("/api/runs?\(range)").headers["X-Next-Cursor"])
        let paths = [
            "/api/runs", "/api/runs?limit=4", "/api/runs?limit=4&cursor=\(next)", "/api/runs?false_failure=1",
            "/api/runs?flagged=1&limit=5", "/api/runs?stalled=1", "/api/runs?mismatch=any", "/api/runs?mismatch=tools",
            "/api/runs?mismatch=cost&limit=2", "/api/runs?status=failed", "/api/runs?workflow=\(someRun.workflowName)",
            "/api/runs?since=\(since)", "/api/runs?until=\(since)&status=completed", "/api/runs?\(range)",
            "/api/runs?\(range)&cursor=\(nextInRange)", "/api/runs?\(range)&cursor=\(next)",
            "/api/runs?q=\(someRun.runId.prefix(5))", "/api/runs/\(someRun.runId)", "/api/runs/no-such-run",
            "/api/runs?limit=0", "/", "/runs", "/runs?mismatch=any&limit=3", "/runs?stalled=1",
            "/runs/\(someRun.runId)", "/runs/no-such-run",
        ]
        for path in paths {
            let want = try await expected.get(path)
            var answer = try await got.get(path)
            // The one difference: a fleet's ledger names the instance that wrote each run, and its pages
            // show it, and filter by it.
            answer.body = answer.body.replacingOccurrences(of: #""instance":"test","#, with: "")
            if store == .postgres {
                for (pattern, replacement) in Self.instanceOnPages {
                    answer.body = answer.body.replacingOccurrences(
                        of: pattern, with: replacement, options: .regularExpression)
                }
            }
            if store == .postgres { answer.headers["Content-Length"] = want.headers["Content-Length"] }
            #expect(answer == want, "\(path)")
        }
        // The instance filter: PostgreSQL's runs are all this instance's; an SQLite ledger names none.
        let total = try await got.get("/api/runs").headers["X-Total-Count"]
        #expect(
            try await got.get("/api/runs?instance=test").headers["X-Total-Count"] == (store == .postgres ? total : "0"))
        #expect(try await got.get("/api/runs?instance=elsewhere").headers["X-Total-Count"] == "0")
        if store == .postgres { #expect(try await got.get("/api/runs?limit=1").body.contains(#""instance":"test""#)) }
        // What the pages add on a fleet's ledger is there (not alike by being absent), and only there.
        let list = try await got.get("/runs").body
        let runPage = try await got.get("/runs/\(someRun.runId)").body
        let added = [#"<td class="instance">test</td>"#, #"<input name="instance""#]
        #expect(added.allSatisfy(list.contains) == (store == .postgres), "\(store)")
        #expect(runPage.contains(#"id="instance-runs">test</a>"#) == (store == .postgres), "\(store)")
        #expect(try await got.get("/runs?instance=test").body.contains("No runs.") == (store != .postgres))
        // What the answers hold (the sample's 4 false failures, the quiet run stalled, the executor
        // database's own mismatches), so that alike is not alike in emptiness.
        #expect(try await expected.get("/api/runs?false_failure=1").headers["X-Total-Count"] == "4")
        #expect(try await expected.get("/api/runs?stalled=1").body.contains(#""run_id":"quiet-run""#))
        #expect(try await expected.get("/api/runs/\(someRun.runId)").status == 200)
        #expect(all.contains { $0.mismatch["db"] != nil })
    }

    /// What a fleet's pages add: the instance column, the instance filter, a run's instance.
    static let instanceOnPages = [
        (#"<th>instance</th>(?=<th>workflow)"#, ""), (#"<td class="instance">test</td>"#, ""),
        (#"colspan="10""#, #"colspan="9""#),
        (#"<label>instance <input name="instance" value="" size="12"></label>"#, ""),
        (#"<tr><th>instance</th><td><a href="/runs\?instance=test" id="instance-runs">test</a></td></tr>"#, ""),
    ]

    @Test(arguments: StoreKind.allCases)
    func theCommandsReadTheSameOnEveryBackend(store: StoreKind) throws {
        let dir = TempDir()
        let reference = try reference(dir).openReader()
        let backend = try store.backend(dir.file("l.db"))
        try StoreContent.fill(try backend.openWriter(), in: dir.path)
        let reader = try backend.openReader()

        var flagged = RunFilter()
        flagged.flagged = true
        for filter in [RunFilter(), flagged] {
            // `runs --json`: the whole selection, oldest first.
            let runs = try reader.allRuns(filter)
            #expect(runs.allSatisfy { $0.instance == (store == .postgres ? "test" : nil) })
            #expect(
                RunView.json(
                    runs.map { r in
                        var r = r
                        r.instance = nil
                        return r
                    }) == RunView.json(try reference.allRuns(filter)))
            #expect(try reader.counts(filter) == (try reference.counts(filter)))
        }
        // `metrics`: the rollups and the sources with a position.
        #expect(try reader.rollups() == (try reference.rollups()))
        #expect(try reader.positions().map(\.source) == (try reference.positions().map(\.source)))
        #expect(try reader.runCount() == (try reference.runCount()))
        #expect(try reader.unattributedCount() == (try reference.unattributedCount()))
        // `alerts`: every delivery, newest alert first, and one state.
        for state in [nil, Delivery.State.pending] {
            let want = try reference.allDeliveries(state: state, limit: 1000).map(StoreContent.shown)
            #expect(try reader.allDeliveries(state: state, limit: 1000).map(StoreContent.shown) == want)
            #expect(!want.isEmpty)
        }
        #expect(try reader.allDeliveries(state: .sent, limit: 1000).isEmpty)
    }

    /// `--db` is read in one place: a path is SQLite, and a location of a scheme no backend has is one
    /// line that names it, before anything is created.
    @Test func aLocationOfAnUnknownSchemeIsOneLineAndCreatesNothing() throws {
        let dir = TempDir()
        #expect(try LedgerBackends.open(dir.file("l.db")) is SQLiteLedgerBackend)
        #expect(try LedgerBackends.open("./a://b.db") is SQLiteLedgerBackend)
        #expect(try LedgerBackends.open("data/x.db").location == "data/x.db")
        let message = #expect(throws: LedgerError.self) { try LedgerBackends.open("foo://x") }?.description
        #expect(
            message
                == "foo://x: no ledger backend for foo:// (a ledger is the path of an SQLite file, or postgres://…,"
                + " or postgresql://…)")
        // PostgreSQL by URI in any case, or by libpq's keywords; parsed, not connected, until opened.
        for location in ["postgresql://u@db/ledger", "POSTGRES://u@db/ledger", "host=db dbname=ledger user=u"] {
            let backend = try #require(try LedgerBackends.open(location, instance: "h1") as? PostgresLedgerBackend)
            #expect(backend.location == "postgresql://u@db/ledger")
            #expect(backend.instance == "h1")
        }
        let made = try LedgerBackends.open(
            "memory://x", schemes: ["memory": { _, _ in InMemoryLedgerBackend(store: .init()) }])
        #expect(made is InMemoryLedgerBackend)
        #expect(
            #expect(throws: LedgerError.self) {
                try LedgerBackends.open("foo://x", schemes: ["memory": { _, _ in made }])
            }?
            .description.hasSuffix("(a ledger is the path of an SQLite file, or memory://…)") == true)
    }
}

/// What the reads and the notifier are tested on, the same for every backend.
enum StoreContent {
    static let sinks = ["ok", "refused", "down"]

    /// The shared sample (false failures, log mismatches), a run that starts 22 s before the log's end
    /// and stays quiet (the stall watch marks it), and the executor database's reports (db mismatches);
    /// every alert to the three sinks of `sinks`.
    static func fill(_ store: any LedgerStore & LedgerQueries, in dir: String) throws {
        let log = dir + "/content.log"
        if !FileManager.default.fileExists(atPath: log) {
            let quiet =
                "2025-06-19 18:00:01,000 - src.agents.claude_code.agent - INFO - 📝 \u{1B}[92mCreated workflow run"
                + " record db-quiet for run_id quiet-run\u{1B}[0m\n"
            let sample = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
            try Data((sample + quiet).utf8).write(to: URL(fileURLWithPath: log))
        }
        var o = utcOptions(batchLines: 50)
        o.alerting = Alerting(routes: sinks.map { AlertRoute(sink: $0) }, stall: StallDetector(afterMs: 10_000))
        try replay(log, into: store, options: o)
        let reports = DatabaseReports(location: .sqlite(path: Fixture.executorDB))
        if let problem = try poll(reports, into: store, options: o).problem {
            throw LedgerError("the executor database's reports: \(problem)")
        }
        // At a fixed instant (18:00:30), so that both ledgers mark the same runs stalled.
        try checkStalls(in: store, options: o, nowMs: 1_750_356_030_000)
    }

    /// A delivery as `runledger alerts` shows it.
    static func shown(_ d: Delivery) -> String {
        "\(d.alert.dedupKey) \(d.sink) \(d.state.rawValue) \(d.attempts) \(d.lastError ?? "-")"
    }
}

/// The HTTP router `serve` runs, over a backend's readers (`LedgerReader`), asked without a socket.
struct HTTPReads {
    struct Answer: Equatable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    let responder: RouterResponder<BasicRequestContext>
    let reader: LedgerReader

    init(_ backend: any LedgerBackend, webConfig: WebConfigMiddleware<BasicRequestContext>? = nil) throws {
        reader = LedgerReader(backend: backend)
        let state = ServerState(
            metrics: LiveMetrics(rollups: [:], workflows: [], sources: ["log"], build: .unknown(version: "test")),
            ledger: reader,
            sources: SourceBoard(sources: ["log"]), version: "test")
        responder = HTTPServer.router(state, in: webConfig).buildResponder()
    }

    func get(_ path: String, headers: HTTPFields = [:]) async throws -> Answer {
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: path, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer()))
        let context = BasicRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response = try await responder.respond(to: request, context: context)
        var headers: [String: String] = [:]
        for field in response.headers { headers[field.name.rawName] = field.value }
        let body = Collected()
        try await response.body.write(BodyCollector(into: body))
        return Answer(status: response.status.code, headers: headers, body: body.buffer.withLock { String(buffer: $0) })
    }
}

private final class Collected: Sendable {
    let buffer = Mutex(ByteBuffer())
}

private struct BodyCollector: ResponseBodyWriter {
    let into: Collected
    mutating func write(_ buffer: ByteBuffer) async throws {
        into.buffer.withLock { _ = $0.writeImmutableBuffer(buffer) }
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
