/// The PostgreSQL ledger's tables: the SQLite ledger's (`Schema`) at its current version, for a fleet.
/// What each instance reads and writes of its own carries its name (`instance`): positions, open bursts,
/// unattributed facts, rollups and deliveries. Runs and alerts are the fleet's: one row per run id and
/// one alert per dedup key, whichever instance saw them.
///
/// Identifiers and text compare byte-wise (`COLLATE "C"`), as SQLite's do, so that lists and the
/// identity ranges of `positionNames` order alike on both.
enum PostgresSchema {
    static let version = 1

    /// `migrations[i]` brings a ledger from schema i to i + 1, inside one transaction.
    static let migrations: [String] = [
        """
        CREATE TABLE runs (
            run_id text COLLATE "C" PRIMARY KEY,
            -- The order runs were first written in: the lists' order and their pages' cursor (SQLite's rowid).
            seq bigserial NOT NULL UNIQUE,
            -- The instance that wrote it first, and a count of writes: a writer updates only the version it
            -- read, so two instances never write over each other's facts (PostgresLedger.commit).
            instance text COLLATE "C" NOT NULL,
            version bigint NOT NULL DEFAULT 1,
            workflow text COLLATE "C" NOT NULL,
            status text COLLATE "C" NOT NULL,
            started_at_ms bigint,
            ended_at_ms bigint,
            cost_nano bigint NOT NULL,
            turns bigint NOT NULL,
            total_tokens bigint NOT NULL,
            taskgroup_error integer NOT NULL,
            false_failure integer NOT NULL,
            flagged integer NOT NULL,
            attribution text NOT NULL,
            record jsonb NOT NULL,
            -- Of the record, kept beside it so that counts and filters on 1M runs need not read the JSONB.
            has_mismatch integer NOT NULL,
            stalled integer NOT NULL,
            -- The time the lists' since/until judge (SQLite's ledger computes it): a column, so that the
            -- index below answers a range's count and newest seq by itself (an expression index cannot).
            at_ms bigint GENERATED ALWAYS AS (coalesce(started_at_ms, ended_at_ms)) STORED
        );
        CREATE INDEX runs_by_status ON runs(status, seq);
        CREATE INDEX runs_by_workflow ON runs(workflow, seq);
        CREATE INDEX runs_by_time ON runs(at_ms, seq);
        -- The lists' filters, each a page of the newest matching runs and a count.
        CREATE INDEX runs_false_failures ON runs(seq) WHERE false_failure = 1;
        CREATE INDEX runs_flagged ON runs(seq) WHERE flagged = 1;
        CREATE INDEX runs_mismatched ON runs(seq) WHERE has_mismatch = 1;
        CREATE INDEX runs_stalled ON runs(seq) WHERE stalled = 1;
        CREATE INDEX runs_by_instance ON runs(instance, seq);
        CREATE TABLE unattributed (
            id bigserial PRIMARY KEY, instance text COLLATE "C" NOT NULL, source text NOT NULL,
            line bigint NOT NULL, reason text NOT NULL, facts jsonb NOT NULL
        );
        CREATE TABLE rollups (
            instance text COLLATE "C" NOT NULL, series text COLLATE "C" NOT NULL, value bigint NOT NULL,
            PRIMARY KEY (instance, series)
        );
        CREATE TABLE positions (
            instance text COLLATE "C" NOT NULL, source text COLLATE "C" NOT NULL,
            identity text COLLATE "C" NOT NULL, byte_offset bigint NOT NULL, lines bigint NOT NULL,
            correlator text NOT NULL,
            PRIMARY KEY (instance, source)
        );
        CREATE INDEX positions_by_identity ON positions(instance, identity);
        CREATE TABLE open_burst_facts (
            instance text COLLATE "C" NOT NULL, source text COLLATE "C" NOT NULL, segment bigint NOT NULL,
            seq bigint NOT NULL, fact text NOT NULL,
            PRIMARY KEY (instance, source, segment, seq)
        );
        CREATE TABLE outbox (
            id bigserial PRIMARY KEY, dedup_key text NOT NULL UNIQUE, kind text NOT NULL, run_id text NOT NULL,
            alert text NOT NULL, raised_at_ms bigint, instance text COLLATE "C" NOT NULL
        );
        -- A delivery is the raising instance's: its notifier sends it, its metrics count it.
        CREATE TABLE deliveries (
            alert_id bigint NOT NULL REFERENCES outbox(id), sink text COLLATE "C" NOT NULL,
            instance text COLLATE "C" NOT NULL, state text NOT NULL, attempts integer NOT NULL DEFAULT 0,
            next_attempt_ms bigint NOT NULL DEFAULT 0, last_error text, first_attempt_ms bigint,
            PRIMARY KEY (alert_id, sink)
        );
        CREATE INDEX deliveries_due ON deliveries(instance, state, next_attempt_ms);
        CREATE VIEW tools(run_id, tool, uses) AS
            SELECT runs.run_id, t.value->>'name', (t.value->>'uses')::bigint
            FROM runs, jsonb_array_elements(runs.record->'tools') AS t;
        """
    ]

    /// Brings the ledger in the session's schema up to `version`: the first instance to connect runs the
    /// steps, under a lock the others wait on (`pg_advisory_xact_lock`, per schema), and they find it done.
    static func migrate(_ db: PostgresConnection) throws {
        try db.exec("BEGIN")
        do {
            try db.query("SELECT pg_advisory_xact_lock(hashtext('runledger-migrate'), hashtext(current_schema()))")
            let tables = Set(
                try db.query(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()"
                ).compactMap { $0.first ?? nil })
            if !tables.isEmpty, !tables.contains("schema_version") {
                // Never write RunLedger's tables beside someone else's (the executor's, say).
                throw db.failure(
                    "not a RunLedger ledger (its schema holds \(tables.sorted().prefix(3).joined(separator: ", ")));"
                        + " refusing to use it (give RunLedger a database or schema of its own)")
            }
            try db.exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            let current = try db.scalar("SELECT max(version) FROM schema_version").flatMap { Int($0) } ?? 0
            guard current <= version else {
                throw db.failure("ledger schema \(current) is newer than this runledger (\(version))")
            }
            for step in current..<version { try db.exec(migrations[step]) }
            if current < version {
                try db.command("DELETE FROM schema_version")
                try db.command("INSERT INTO schema_version(version) VALUES ($1)", [String(version)])
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
    }

    /// Whether the session's schema holds a ledger this runledger can read (a reader never creates one).
    static func checkReadable(_ db: PostgresConnection) throws {
        guard try db.scalar("SELECT to_regclass('schema_version')::text") != nil else {
            throw db.failure("no RunLedger ledger here (run `runledger replay --db … FILE` or `serve` first)")
        }
        let current = try db.scalar("SELECT max(version) FROM schema_version").flatMap { Int($0) } ?? 0
        guard current <= version else {
            throw db.failure("ledger schema \(current) is newer than this runledger (\(version))")
        }
    }
}
