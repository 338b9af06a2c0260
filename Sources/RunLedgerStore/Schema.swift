/// The ledger's tables. `schema_version` in `meta` says which migrations ran.
enum Schema {
    static let version = 5

    /// The table a step replaces with a view of the same name, by the step's index in `migrations` (the
    /// step to schema 4 is index 3). It is dropped only while it is still a table: `DROP TABLE` refuses
    /// a view, and a ledger may run a step again (one marked older than it is).
    static let tablesBecomingViews: [Int: String] = [3: "tools"]

    static let migrations: [String] = [
        """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        -- One row per run id: queryable columns plus the whole record as JSON.
        CREATE TABLE IF NOT EXISTS runs (
            run_id TEXT PRIMARY KEY,
            workflow TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at_ms INTEGER,
            ended_at_ms INTEGER,
            cost_nano INTEGER NOT NULL,
            turns INTEGER NOT NULL,
            total_tokens INTEGER NOT NULL,
            taskgroup_error INTEGER NOT NULL,
            false_failure INTEGER NOT NULL,
            flagged INTEGER NOT NULL,
            attribution TEXT NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status);
        CREATE INDEX IF NOT EXISTS runs_by_flagged ON runs(flagged);
        -- Metric facts no rule could tie to a run: kept, counted under workflow="unknown".
        CREATE TABLE IF NOT EXISTS unattributed (
            id INTEGER PRIMARY KEY, source TEXT NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL,
            facts TEXT NOT NULL
        );
        -- Sums over the ledger by series: counters start from here, so they never reset on restart.
        CREATE TABLE IF NOT EXISTS rollups (series TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        -- Where each source was read up to, committed with the facts read up to it.
        CREATE TABLE IF NOT EXISTS positions (
            source TEXT PRIMARY KEY, identity TEXT NOT NULL, offset INTEGER NOT NULL, lines INTEGER NOT NULL,
            correlator TEXT NOT NULL
        );
        -- A file read before under another spelling of its path is found by its device and inode.
        -- (This step runs at every open for writing, so older ledgers get it without a new version.)
        CREATE INDEX IF NOT EXISTS positions_by_identity ON positions(identity);
        """,
        // 2: alerts. Each alert once per run and kind (dedup_key), raised in the same transaction as the
        // change that raised it; one delivery per sink configured when it was raised.
        """
        CREATE TABLE IF NOT EXISTS outbox (
            id INTEGER PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, run_id TEXT NOT NULL,
            alert TEXT NOT NULL, raised_at_ms INTEGER
        );
        CREATE TABLE IF NOT EXISTS deliveries (
            alert_id INTEGER NOT NULL REFERENCES outbox(id), sink TEXT NOT NULL, state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0, last_error TEXT,
            PRIMARY KEY (alert_id, sink)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_ms);
        """,
        // 3: when each delivery was first tried, so that retries are bounded by time, not by a count.
        "ALTER TABLE deliveries ADD COLUMN first_attempt_ms INTEGER;",
        // 4: tool uses per run, for SQL users, read from the records instead of kept in a table of their
        // own (`tablesBecomingViews` drops the table first). The table repeated what every record holds,
        // and writing it was a delete and an insert per tool for every run written: 120,000 statements in
        // a replay of 10^6 lines, at random places in its B-tree (BENCHMARKS.md). Same name, columns and
        // rows as the table it replaces.
        """
        CREATE VIEW IF NOT EXISTS tools(run_id, tool, uses) AS
            SELECT runs.run_id, json_extract(t.value, '$.name'), json_extract(t.value, '$.uses')
            FROM runs, json_each(runs.record, '$.tools') AS t;
        """,
        // 5: the facts of bursts still open at a commit, apart from the correlator's state in `positions`:
        // rows appended as a burst grows and dropped when it closes, so that a commit writes what the
        // burst added, not what it holds (`OpenBurstJournal`). Facts saved inside the state before this
        // step are read from there and moved here at the source's next commit.
        """
        CREATE TABLE IF NOT EXISTS open_burst_facts (
            source TEXT NOT NULL, segment INTEGER NOT NULL, seq INTEGER NOT NULL, fact TEXT NOT NULL,
            PRIMARY KEY (source, segment, seq)
        ) WITHOUT ROWID;
        """,
    ]
}
