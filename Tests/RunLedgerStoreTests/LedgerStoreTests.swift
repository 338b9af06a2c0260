import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerStore
import Synchronization
import TestSupport
import Testing

/// Which store an ingest test runs on (`@Test(arguments: StoreKind.allCases)`): PostgreSQL on the test
/// process's throwaway server (`PostgresServer`), a database of its own for each ledger file named.
enum StoreKind: CaseIterable, CustomTestStringConvertible {
    case sqlite, inMemory, postgres

    /// The stores that are not SQLite, each compared with an SQLite ledger of the same input.
    static let others: [StoreKind] = [.inMemory, .postgres]

    /// A new store; `path` is the SQLite ledger's file (for PostgreSQL, the name of its database).
    func make(_ path: String) throws -> any LedgerStore & LedgerQueries & OutboxStore {
        switch self {
        case .sqlite: try Ledger(path: path)
        case .inMemory: InMemoryLedgerStore()
        case .postgres:
            try PostgresLedger(PostgresAddress(try Self.postgresURI(path)), instance: "test", role: .writer)
        }
    }

    /// The backend the commands and `serve` would open: a path for SQLite; for the in-memory store, a
    /// `memory://` location through `LedgerBackends.open`, wired in by one line as a new backend is;
    /// for PostgreSQL, its `postgresql://` URI.
    func backend(_ path: String) throws -> any LedgerBackend {
        switch self {
        case .sqlite: try LedgerBackends.open(path)
        case .inMemory:
            try LedgerBackends.open(
                "memory://test", schemes: ["memory": { _, _ in InMemoryLedgerBackend(store: .init()) }])
        case .postgres: try LedgerBackends.open(try Self.postgresURI(path), instance: "test")
        }
    }

    /// The database standing for the ledger file `path`: made on first use, the same one after.
    static func postgresURI(_ path: String) throws -> String {
        let server = try PostgresServer.shared()
        let name = try databases.withLock { names in
            if let name = names[path] { return name }
            let name = try server.createDatabase()
            names[path] = name
            return name
        }
        return server.uri(name)
    }

    private static let databases = Mutex<[String: String]>([:])

    /// The sources with a saved position, by name (a reader's query: the ingest path never lists them).
    func sources(_ store: any LedgerStore) throws -> [String] {
        try #require(store as? any LedgerQueries).positions().map(\.source)
    }

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .inMemory: "in memory"
        case .postgres: "PostgreSQL"
        }
    }
}

/// The ingest path on the other backends (in memory, PostgreSQL): whatever the store, the same log,
/// reports and stall marks make the same ledger, byte for byte, as the SQLite one. A store that lost
/// a correlator state, a run's earlier facts, a rollup or an alert's dedup would differ here.
@Suite struct LedgerStoreTests {
    /// Small batches, so that runs are read back from the store by later batches; `pipelined`: through
    /// the reader thread (`ExtractionPipeline`), as a long catch-up is.
    func options(pipelined: Bool = false) -> FileIngest.Options {
        var o = utcOptions(batchLines: 50)
        if pipelined { o.pipelineBytes = 0 }
        return o
    }

    @Test(arguments: StoreKind.others, [false, true])
    func theSampleReadIntoAnotherStoreMakesTheLedgerSQLiteHolds(store: StoreKind, pipelined: Bool) throws {
        let dir = TempDir()
        let sqlite = try replay(Fixture.sampleLog, into: dir.file("l.db"), options: options(pipelined: pipelined))
        let memory = try store.make(dir.file("other.db"))
        try replay(Fixture.sampleLog, into: memory, options: options(pipelined: pipelined))
        let (expected, got) = (try snapshot(sqlite), try snapshot(memory))
        #expect(try sqlite.runCount() > 0)
        #expect(try memory.positions().count == 1)
        #expect(got.runs == expected.runs)
        #expect(got.rollups == expected.rollups)
        let saved = try #require(try sqlite.position(of: "log"))
        #expect(try memory.position(of: "log") == saved)
        #expect(try memory.unattributedCount() == (try sqlite.unattributedCount()))
    }

    /// Exactly once on the in-memory store: the log arrives in uneven pieces (some ending mid-line, some
    /// mid-burst) and each piece is read by a new `FileIngest`, which resumes from the position and
    /// correlator state the store saved; the end equals one uninterrupted SQLite pass.
    @Test(arguments: StoreKind.others)
    func resumingFromTheStoresSavedPositionsEqualsOneSQLitePass(store: StoreKind) throws {
        let dir = TempDir()
        let once = try snapshot(try replay(Fixture.sampleLog, into: dir.file("once.db"), options: options()))
        let bytes = Array(try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8).utf8)
        let growing = dir.file("growing.log")
        #expect(FileManager.default.createFile(atPath: growing, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: growing))
        let memory = try store.make(dir.file("other.db"))
        var (written, step, restarts) = (0, 1, 0)
        while written < bytes.count {
            let piece = bytes[written..<min(bytes.count, written + 997 * step)]
            handle.write(Data(piece))
            written += piece.count
            step = step % 7 + 1
            try replay(growing, into: memory, options: utcOptions(batchLines: 5))
            restarts += 1
        }
        try handle.close()
        let pieces = try snapshot(memory)
        #expect(restarts > 40)
        #expect(pieces.runs == once.runs)
        #expect(pieces.rollups == once.rollups)
        #expect(try memory.position(of: "log")?.offset == Int64(bytes.count))
    }

    /// The report poller (the sample's executor database) and the stall watch on the in-memory store:
    /// the same reports, mismatches, stall marks and alerts (each once, to the sinks its route accepts).
    @Test(arguments: StoreKind.others)
    func reportsAndStallMarksFoldIntoAnotherStoreAsIntoSQLite(store: StoreKind) throws {
        let dir = TempDir()
        // Every run of the sample (23 s of log) ends: one more starts 22 s before the end and stays quiet.
        let log = dir.file("x.log")
        let quiet =
            "2025-06-19 18:00:01,000 - src.agents.claude_code.agent - INFO - 📝 \u{1B}[92mCreated workflow run"
            + " record db-quiet for run_id quiet-run\u{1B}[0m\n"
        let sample = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: log, contents: Data((sample + quiet).utf8)))
        func ingest(into store: any LedgerStore & LedgerQueries) throws {
            var o = options()
            // A fresh clock each: the log's clock is shared by whatever is handed the same options.
            o.alerting = Alerting(
                routes: [AlertRoute(sink: "all"), AlertRoute(sink: "stalls", kinds: [.stalledRun])],
                stall: StallDetector(afterMs: 10_000))
            try replay(log, into: store, options: o)
            let reports = DatabaseReports(location: .sqlite(path: Fixture.executorDB))
            #expect(try poll(reports, into: store, options: o).problem == nil)
            // At a fixed instant (18:00:30): the log's clock moves on with the host's between two stores.
            try checkStalls(in: store, options: o, nowMs: 1_750_356_030_000)
        }
        let sqlite = try Ledger(path: dir.file("l.db"))
        try ingest(into: sqlite)
        let memory = try store.make(dir.file("other.db"))
        try ingest(into: memory)

        let runs = try sqlite.runs()
        #expect(runs.contains { !$0.reported.isEmpty })
        #expect(runs.filter(\.isStalled).map(\.runId) == ["quiet-run"])
        let (expected, got) = (try snapshot(sqlite), try snapshot(memory))
        #expect(got.runs == expected.runs)
        #expect(got.rollups == expected.rollups)
        let deliveries = try sqlite.allDeliveries()
        #expect(deliveries.contains { $0.sink == "stalls" })
        let other = try memory.allDeliveries(state: nil, limit: 1000)
        #expect(
            Set(other.map { "\($0.alert.dedupKey) → \($0.sink)" })
                == Set(deliveries.map { "\($0.alert.dedupKey) → \($0.sink)" }))
        #expect(other.count == deliveries.count)
        let alerts = Dictionary(deliveries.map { ($0.alert.dedupKey, $0.alert) }, uniquingKeysWith: { a, _ in a })
        #expect(Dictionary(other.map { ($0.alert.dedupKey, $0.alert) }, uniquingKeysWith: { a, _ in a }) == alerts)
    }
}
