import Foundation

/// The executor's `workflow_runs` table as its PostgreSQL repository creates it
/// (shared/executor-log-formats.md §5a: UUID id, VARCHAR strings, DECIMAL(10,6) cost, JSONB metadata,
/// TIMESTAMPTZ times, BOOLEAN workspace flags, the CHECKs as named constraints).
public enum ExecutorTable {
    public static let ddl = """
        CREATE TABLE workflow_runs (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            run_id VARCHAR(255) UNIQUE NOT NULL,
            workflow_name VARCHAR(255) NOT NULL,
            agent_type VARCHAR(255),
            ai_model VARCHAR(255),
            task_input TEXT NOT NULL,
            session_id VARCHAR(255),
            session_name VARCHAR(255),
            git_repo VARCHAR(255),
            git_branch VARCHAR(255),
            initial_commit_hash VARCHAR(255),
            final_commit_hash VARCHAR(255),
            git_diff_added_lines INTEGER DEFAULT 0,
            git_diff_removed_lines INTEGER DEFAULT 0,
            git_diff_files_changed INTEGER DEFAULT 0,
            git_diff_stats JSONB DEFAULT '{}',
            status VARCHAR(50) NOT NULL DEFAULT 'pending',
            result TEXT,
            error_message TEXT,
            created_at TIMESTAMPTZ DEFAULT NOW(),
            completed_at TIMESTAMPTZ,
            duration_seconds INTEGER,
            workspace_id VARCHAR(255),
            workspace_persistent BOOLEAN DEFAULT TRUE,
            workspace_cleaned_up BOOLEAN DEFAULT FALSE,
            workspace_path TEXT,
            cost_estimate DECIMAL(10,6),
            input_tokens INTEGER DEFAULT 0,
            output_tokens INTEGER DEFAULT 0,
            total_tokens INTEGER DEFAULT 0,
            user_id VARCHAR(255),
            metadata JSONB DEFAULT '{}',
            updated_at TIMESTAMPTZ DEFAULT NOW(),
            CONSTRAINT workflow_runs_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed', 'killed')),
            CONSTRAINT workflow_runs_duration_check CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
            CONSTRAINT workflow_runs_tokens_check CHECK (input_tokens >= 0 AND output_tokens >= 0 AND total_tokens >= 0)
        );
        CREATE INDEX idx_workflow_runs_status ON workflow_runs (status);
        """

    /// The rows of the executor's SQLite `workflow_runs` (python3's stdlib sqlite3 reads them) as
    /// INSERTs for the same columns here. Every value is a quoted literal, so PostgreSQL casts it to
    /// the column's type: '1' to BOOLEAN, '0.1087' to DECIMAL, '{"total_turns": 4}' to JSONB.
    static let dumpScript = #"""
        import sqlite3, sys
        db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
        cur = db.execute("SELECT * FROM workflow_runs")
        cols = [d[0] for d in cur.description]
        def lit(v):
            return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"
        print("BEGIN;")
        for row in cur:
            print("INSERT INTO workflow_runs (%s) VALUES (%s);" % (", ".join(cols), ", ".join(lit(v) for v in row)))
        print("COMMIT;")
        """#

    /// Creates the table in `database` and loads every row of the SQLite database at `sqlitePath`;
    /// returns the number of rows loaded.
    @discardableResult
    public static func load(from sqlitePath: String, into database: String, on server: PostgresServer) throws -> Int {
        let dump = try runCommand("/usr/bin/env", ["python3", "-c", dumpScript, sqlitePath])
        guard dump.status == 0 else { throw SetupError("reading \(sqlitePath): \(dump.stderr)") }
        try server.psql(ddl, database: database)
        try server.psql(dump.stdout, database: database)
        return Int(
            try server.psql("SELECT count(*) FROM workflow_runs", database: database).trimmingCharacters(
                in: .whitespacesAndNewlines)) ?? 0
    }
}
