import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerStore
import TestSupport
import Testing

/// What the PostgreSQL ledger promises beyond what every store does (`LedgerStoreTests`): a role with
/// `CREATE` on its own schema only is enough, a schema holding someone else's tables or a newer ledger
/// is refused, one writer per instance name, two instances never write over each other's facts, and
/// sessions dropped while idle (a proxy) are re-opened with the name still held.
@Suite(.tags(.slow)) struct PostgresLedgerTests {
    let server: PostgresServer
    init() throws { server = try PostgresServer.shared() }

    func writer(_ uri: String, instance: String = "a") throws -> PostgresLedger {
        try PostgresLedger(PostgresAddress(uri), instance: instance, role: .writer)
    }

    @Test func aRoleWithCreateOnItsOwnSchemaOnlyKeepsTheLedgerThere() throws {
        let db = try server.createDatabase()
        let role = "rl_" + db.suffix(8)
        try server.psql(
            """
            CREATE ROLE \(role) LOGIN;
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            CREATE SCHEMA fleet AUTHORIZATION \(role);
            ALTER ROLE \(role) SET search_path = fleet;
            """, database: db)
        let ledger = try writer(server.uri(db, user: role))
        try replay(Fixture.sampleLog, into: ledger, options: utcOptions(batchLines: 100))
        #expect(try ledger.runCount() == 30)
        let tables = try server.psql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'fleet'", database: db)
        #expect(Int(tables.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 8)
        #expect(
            try server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: db).hasPrefix("0"))
    }

    @Test func aSchemaOfOtherTablesOrANewerLedgerIsRefusedUntouched() throws {
        let foreign = try server.createDatabase()
        try server.psql("CREATE TABLE workflow_runs (id text)", database: foreign)
        let said = #expect(throws: LedgerError.self) { try writer(server.uri(foreign)) }?.description ?? ""
        #expect(said.contains("not a RunLedger ledger (its schema holds workflow_runs)"))
        #expect(
            try server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: foreign).hasPrefix(
                "1"))

        let newer = try server.createDatabase()
        _ = try writer(server.uri(newer))
        try server.psql("UPDATE schema_version SET version = 99", database: newer)
        for open in [
            { _ = try writer(server.uri(newer), instance: "b") },
            {
                _ = try PostgresLedger(PostgresAddress(server.uri(newer)), instance: "b", role: .reader)
            },
        ] {
            let message = #expect(throws: LedgerError.self) { try open() }?.description ?? ""
            #expect(message.hasSuffix("ledger schema 99 is newer than this runledger (1)"), "\(message)")
        }
    }

    @Test func oneWriterPerInstanceNameAndAnyNumberOfNames() throws {
        let db = try server.createDatabase()
        // Another process writing as host-2: its session holds the name's lock.
        let other = try PostgresConnection(PostgresAddress(server.uri(db)), readOnly: false)
        #expect(
            try other.scalar(
                "SELECT pg_try_advisory_lock(hashtext('runledger-writer'), hashtext(current_schema() || '/host-2'))")
                == "t")
        let said = #expect(throws: LedgerError.self) { try writer(server.uri(db), instance: "host-2") }?.description
        #expect(
            said?.hasSuffix(
                "instance host-2 already writes this ledger (another runledger holds it); one writer per instance: stop it, or give this one its own --instance"
            ) == true)
        #expect(try writer(server.uri(db), instance: "host-1").runCount() == 0)
        #expect(try writer(server.uri(db), instance: "host-3").runCount() == 0)
        // That process gone, its name is free (the kernel, or the server, drops a session's locks).
        other.close()
        #expect(try writer(server.uri(db), instance: "host-2").runCount() == 0)
    }

    @Test func aRunAnotherInstanceWroteMeanwhileFailsTheBatchWhole() throws {
        let db = try server.createDatabase()
        let a = try writer(server.uri(db), instance: "a")
        let b = try writer(server.uri(db), instance: "b")
        var first = LedgerBatch()
        first.runs = [RunRecord(runId: "shared")]
        try a.commit(first)

        // Both read the run; b writes it first; a's write at the version it read must not land.
        var seenByA = try #require(try a.run("shared"))
        var seenByB = try #require(try b.run("shared"))
        seenByB.apply(.turns(7, .result), at: 1, attribution: .burst)
        var fromB = LedgerBatch()
        fromB.runs = [seenByB]
        try b.commit(fromB)
        seenByA.apply(.turns(3, .result), at: 1, attribution: .burst)
        var fromA = LedgerBatch()
        fromA.runs = [seenByA, RunRecord(runId: "only-a")]
        fromA.rollupDelta = [SeriesKey("agent_workflow_turns_total", ["x"]): 3]
        let said = #expect(throws: LedgerError.self) { try a.commit(fromA) }?.description ?? ""
        #expect(said.contains("run shared was written by another instance"))
        #expect(try a.run("shared")?.turnCount == 7)
        #expect(try a.run("only-a") == nil)
        #expect(try a.rollups().isEmpty)
        // Read again (as the source is, from its position), a's change lands on b's record.
        var again = try #require(try a.run("shared"))
        again.apply(.turns(3, .result), at: 2, attribution: .burst)
        var retry = LedgerBatch()
        retry.runs = [again]
        try a.commit(retry)
        #expect(try b.run("shared")?.instance == "a")
    }

    /// A proxy or firewall that drops idle connections, as the server ending them does: the writer's
    /// next commit re-opens its sessions, lands once, and the instance keeps its name.
    @Test func sessionsDroppedWhileIdleAreReopenedAndTheNameKept() throws {
        let db = try server.createDatabase()
        let a = try writer(server.uri(db), instance: "a")
        var first = LedgerBatch()
        first.runs = [RunRecord(runId: "before")]
        first.position = SourcePosition(
            source: "x.log", identity: "1:2", offset: 100, lines: 10, correlator: CorrelatorState())
        try a.commit(first)
        let dropped = try server.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(db)'"
                + " AND application_name = 'runledger'")
        #expect(dropped.trimmingCharacters(in: .whitespacesAndNewlines) == "2")  // the ledger's and the lock's

        var second = LedgerBatch()
        second.runs = [RunRecord(runId: "after")]
        second.position = SourcePosition(
            source: "x.log", identity: "1:2", offset: 200, lines: 20, correlator: CorrelatorState())
        try a.commit(second)
        #expect(try a.runCount() == 2)
        #expect(try a.position(of: "x.log")?.offset == 200)
        // The name is held again: another process cannot take it.
        let other = try PostgresConnection(PostgresAddress(server.uri(db)), readOnly: false)
        #expect(
            try other.scalar(
                "SELECT pg_try_advisory_lock(hashtext('runledger-writer'), hashtext(current_schema() || '/a'))")
                == "f")
    }

    /// A commit's statements go in a pipeline: answers in order across chunks, and one that fails fails
    /// the lot (the transaction rolled back whole), the session usable afterwards.
    @Test func aPipelineAnswersInOrderAndOneFailureFailsTheTransaction() throws {
        let db = try server.createDatabase()
        let c = try PostgresConnection(PostgresAddress(server.uri(db)), readOnly: false)
        try c.exec("CREATE TABLE t(n integer PRIMARY KEY)")
        let answers = try c.pipelined(
            (1...150).map { .init("INSERT INTO t VALUES ($1) RETURNING n * 2", [String($0)]) }, chunk: 64)
        let doubled: [String?] = answers.map { rows in rows.first?.first ?? nil }
        let expected: [String?] = (1...150).map { n in String(n * 2) }
        #expect(doubled == expected)

        try c.exec("BEGIN")
        let statements: [PostgresConnection.Statement] =
            (151...200).map { .init("INSERT INTO t VALUES ($1)", [String($0)]) }
            + [.init("INSERT INTO t VALUES (1)", [])]  // a duplicate key
            + (201...300).map { .init("INSERT INTO t VALUES ($1)", [String($0)]) }
        let said = #expect(throws: LedgerError.self) { try c.pipelined(statements, chunk: 64) }?.description ?? ""
        #expect(said.contains("duplicate key"), "\(said)")
        try c.exec("ROLLBACK")
        #expect(try c.scalar("SELECT count(*) FROM t") == "150")
    }
}
