import Foundation
import TestSupport
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerReports
@testable import RunLedgerStore

/// The PostgreSQL reader against a real server (PostgresServer: Debian's binaries, 127.0.0.1).
@Suite(.tags(.slow)) struct ExecutorPostgresTests {
    let server: PostgresServer
    init() throws { server = try PostgresServer.shared() }

    /// A database of this test's own holding the executor's table and `rows` (SQL VALUES lists).
    func makeDatabase(metadataType: String = "JSONB", rows: [String]) throws -> String {
        let db = try server.createDatabase()
        try server.psql(ExecutorTable.ddl, database: db)
        if metadataType != "JSONB" {
            try server.psql(
                "ALTER TABLE workflow_runs ALTER COLUMN metadata DROP DEFAULT,"
                    + " ALTER COLUMN metadata TYPE \(metadataType) USING metadata::\(metadataType)", database: db)
        }
        for row in rows {
            try server.psql(
                "INSERT INTO workflow_runs (run_id, workflow_name, task_input, status, cost_estimate, total_tokens, metadata) VALUES \(row)",
                database: db)
        }
        return db
    }

    @Test(arguments: ["JSONB", "JSON", "TEXT"])
    func readsWhatTheSQLiteReaderReads(metadataType: String) throws {
        let db = try makeDatabase(
            metadataType: metadataType,
            rows: [
                "('r1', 'builder', 'x', 'completed', NULL, 0, '{}')",
                #"('r2', 'builder', 'x', 'failed', 0, 0, '{"total_turns": 0, "tools_used": []}')"#,
                "('r3', 'builder', 'x', 'running', 0, 0, '{}')",
                #"('r5', 'surgeon', 'x', 'killed', 0.1087, 5150, '{"final_turns": 4, "tools_used": ["Read", "Bash"]}')"#,
                // An id with the characters a text[] literal must escape travels intact.
                #"('we"ird\id,{}', 'builder', 'x', 'completed', 1.5, NULL, NULL)"#,
            ])
        let reader = try ExecutorPostgres(PostgresAddress(server.uri(db)))
        let reports = try reader.reports(for: ["r1", "r2", "r3", "r4", "r5", #"we"ird\id,{}"#])
        #expect(reports["r1"] == Report(costNano: -1, totalTokens: 0, turns: -1, tools: -1))
        #expect(reports["r2"] == Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0))
        #expect(reports["r3"] == nil)  // a report made while the run runs is not about its result
        #expect(reports["r4"] == nil)
        #expect(reports["r5"] == Report(costNano: 108_700_000, totalTokens: 5150, turns: 4, tools: 2))
        #expect(reports[#"we"ird\id,{}"#] == Report(costNano: 1_500_000_000, totalTokens: -1, turns: -1, tools: -1))
        #expect(try reader.reports(for: []).isEmpty)
    }

    @Test func theSessionCannotWrite() throws {
        let db = try makeDatabase(rows: ["('r1', 'builder', 'x', 'completed', 0, 0, '{}')"])
        // Even a superuser, even asking for a writable session in its own options.
        let address = try PostgresAddress(server.uri(db) + "?options=-c%20default_transaction_read_only%3Doff")
        let session = try PostgresConnection(address)
        #expect(try session.query("SHOW transaction_read_only") == [["on"]])
        #expect {
            try session.query("UPDATE workflow_runs SET cost_estimate = 0")
        } throws: { "\($0)".contains("cannot execute UPDATE in a read-only transaction") }
        #expect(try server.psql("SELECT cost_estimate FROM workflow_runs", database: db) == "0.000000\n")
    }

    @Test func anotherSchemaIsNamed() throws {
        let db = try server.createDatabase()
        #expect {
            try ExecutorPostgres(PostgresAddress(server.uri(db)))
        } throws: { "\($0)" == "\(server.uri(db)): not the executor's database (no workflow_runs table)" }
        try server.psql("CREATE TABLE workflow_runs (run_id TEXT, status TEXT)", database: db)
        #expect {
            try ExecutorPostgres(PostgresAddress(server.uri(db)))
        } throws: {
            "\($0)"
                == "\(server.uri(db)): not the executor's database (workflow_runs lacks cost_estimate, metadata, total_tokens)"
        }
    }

    @Test func failuresAreOneLineWithoutThePassword() throws {
        let db = try makeDatabase(rows: [])
        let role = PostgresServer.passwordRole
        try server.psql(
            "DO $$ BEGIN CREATE ROLE \(role) LOGIN PASSWORD 'right-pw-17'; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        let port = unusedLoopbackPort()
        let cases: [(String, String)] = [
            (server.uri(db, user: role, password: "wrong-pw-42"), "password authentication failed"),
            ("postgresql://\(role):wrong-pw-42@127.0.0.1:\(port)/executor", "Connection refused"),
            (server.uri("no_such_db", user: role, password: "right-pw-17"), "database \"no_such_db\" does not exist"),
            (
                "host=127.0.0.1 port=\(server.port) dbname=\(db) user=\(role) password='wrong-pw-42'",
                "password authentication failed"
            ),
        ]
        for (uri, reason) in cases {
            var message = ""
            do { _ = try ExecutorPostgres(PostgresAddress(uri)) } catch { message = "\(error)" }
            #expect(message.contains(reason), "\(message)")
            #expect(!message.contains("pw-"), "\(message)")
            #expect(!message.contains("\n"), "\(message)")
            #expect(message.hasPrefix("postgresql://\(role)@127.0.0.1:"), "\(message)")
        }
        // The right password reads, once the role may.
        #expect {
            try ExecutorPostgres(PostgresAddress(server.uri(db, user: role, password: "right-pw-17")))
        } throws: { "\($0)".hasSuffix(": this role may not read workflow_runs (GRANT SELECT ON workflow_runs TO it)") }
        try server.psql("GRANT SELECT ON workflow_runs TO \(role)", database: db)
        _ = try ExecutorPostgres(PostgresAddress(server.uri(db, user: role, password: "right-pw-17")))
    }

    @Test func aLostConnectionIsTriedAgainOnTheNextPoll() throws {
        let db = try server.createDatabase()
        let source = DatabaseReports(location: try ExecutorDatabaseLocation(server.uri(db)))
        #expect(throws: (any Error).self) { try source.reports(for: ["r1"]) }  // no table yet
        try server.psql(ExecutorTable.ddl, database: db)
        try server.psql(
            "INSERT INTO workflow_runs (run_id, workflow_name, task_input, status, cost_estimate) VALUES ('r1', 'b', 'x', 'completed', 0)",
            database: db)
        #expect(try source.reports(for: ["r1"]).reports["r1"]?.costNano == 0)
        // The server ends RunLedger's session (a restart, a failover): one poll fails, the next reconnects.
        try server.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(db)' AND application_name = 'runledger'"
        )
        #expect(throws: (any Error).self) { try source.reports(for: ["r1"]) }
        #expect(try source.reports(for: ["r1"]).reports["r1"]?.costNano == 0)
    }

    @Test func theFormOfTheValueChoosesTheReader() throws {
        for value in [
            "postgresql://u@h/db", "postgres://h:5433/db?sslmode=require", "host=h dbname=db", " dbname = db ",
        ] {
            #expect(PostgresAddress.looksLikeConnectionString(value), "\(value)")
        }
        for value in ["/srv/automagik/workflow_runs.db", "workflow_runs.db", "./a=b.db", "data/x=1.db"] {
            #expect(!PostgresAddress.looksLikeConnectionString(value), "\(value)")
        }
        let a = try PostgresAddress("host=db.internal port=5433 dbname=automagik user=reader password=s3cret")
        #expect(a.displayName == "postgresql://reader@db.internal:5433/automagik")
        #expect {
            try ExecutorDatabaseLocation("postgresql://reader:s3cret@db.internal:notaport/automagik?bogus=1")
        } throws: { !"\($0)".contains("s3cret") && "\($0)".contains("not a valid PostgreSQL connection string") }
        #expect {
            try ExecutorDatabaseLocation("host=db password=s3cret dbname")
        } throws: { !"\($0)".contains("s3cret") }
    }
}
