@testable import RunLedgerCore

/// The executor's decorations, for building lines as it writes them.
enum Executor {
    static let info = "📝 \u{1B}[92m", warning = "⚠️ \u{1B}[93m", error = "❌ \u{1B}[91m", debug = "🔍 \u{1B}[94m"
    static let reset = "\u{1B}[0m"

    /// A verbose-format line (`AM_VERBOSE_LOGGING=true`), decorated like the PrettyFormatter does.
    static func verbose(
        _ message: String, at time: String = "2025-06-19 18:14:06,902",
        logger: String = "src.agents.claude_code.sdk_executor",
        level: String = "INFO"
    ) -> String {
        let deco = level == "ERROR" ? error : level == "WARNING" ? warning : level == "DEBUG" ? debug : info
        return "\(time) - \(logger) - \(level) - \(deco)\(message)\(reset)"
    }

    /// The default message-only format.
    static func plain(_ message: String, level: String = "INFO") -> String {
        let deco = level == "ERROR" ? error : level == "WARNING" ? warning : level == "DEBUG" ? debug : info
        return "\(deco)\(message)\(reset)"
    }
}

func withBytes<T>(_ s: String, _ body: (Bytes) -> T) -> T {
    Array(s.utf8).withUnsafeBufferPointer(body)
}

func withBytes<T>(_ b: [UInt8], _ body: (Bytes) -> T) -> T {
    b.withUnsafeBufferPointer(body)
}

/// A new extractor for each use: an extractor belongs to one reader (tests run in parallel).
func makeExtractor() -> Extractor {
    try! Extractor(profile: .automagik, envelopes: EnvelopeParser(utcOffsetSeconds: 0))
}

func extract(_ line: String) -> Extraction { withBytes(line) { makeExtractor().extract($0) } }

func ruleName(_ x: Extraction) -> String? { x.rule >= 0 ? Profile.automagik.rules[x.rule].name : nil }

/// Runs lines through extraction, correlation and the ingestor's fold (`RunFold`), with the batch left
/// open so that tests read each run's record as folded so far.
struct Pipeline {
    let extractor = try! Extractor(profile: .automagik, envelopes: EnvelopeParser(utcOffsetSeconds: 0))
    let correlator = Correlator(profile: .automagik)
    var fold: RunFold
    private var lineNumber: Int64 = 0

    /// `known`: the runs the ledger holds already (a restart, or an earlier batch committed).
    init(known: [String: RunRecord] = [:]) {
        fold = RunFold(source: "test.log", lookup: KnownRuns(runs: known), labels: FoldLabels())
    }

    mutating func feed(_ lines: [String]) {
        var out: [Attributed] = []
        for line in lines {
            let x = withBytes(line) { extractor.extract($0) }
            lineNumber += 1
            out.removeAll(keepingCapacity: true)
            correlator.process(x, into: &out)
            try! fold.add(x.result, problem: x.problem, decisions: out[...], lineNumber: lineNumber)
        }
    }

    subscript(_ id: String) -> RunRecord? { fold.record(id) }

    /// The runs the lines touched, by id.
    var runs: [String: RunRecord] { Dictionary(uniqueKeysWithValues: fold.records.map { ($0.runId, $0) }) }

    /// The batch so far, taken from a copy of the fold (a value): the fold itself goes on.
    var batch: FoldedBatch {
        var copy = fold
        return copy.takeBatch()
    }

    var unattributed: [UnattributedGroup] { batch.unattributed.map(\.group) }
}

/// A ledger in a dictionary, for the fold's lookups.
struct KnownRuns: RunLookup {
    var runs: [String: RunRecord]
    func run(_ id: String) -> RunRecord? { runs[id] }
}

/// Builds executor log lines for a run, in the bug-era (22e45cbe) formats.
struct BugEraRun {
    var run: String
    var db: String
    var workflow: String

    init(_ n: Int, _ workflow: String = "builder") {
        let hex = String(n, radix: 16)
        let pad = String(repeating: "0", count: max(0, 8 - hex.count)) + hex
        run = "\(pad)-0000-4000-8000-00000000000\(n % 10)"
        db = "\(pad)-1111-4000-8000-00000000000\(n % 10)"
        self.workflow = workflow
    }

    var post: String {
        "INFO:     127.0.0.1:40000 - \"POST /api/v1/workflows/claude-code/run/\(workflow)?persistent=true HTTP/1.1\" 200 OK"
    }
    var start: String {
        Executor.verbose("Created workflow run record \(db) for run_id \(run)", logger: "src.agents.claude_code.agent")
    }
    func metrics(cost: String, turns: Int) -> String {
        Executor.verbose("SDK Executor: Captured final metrics during streaming - Cost: $\(cost), Turns: \(turns)")
    }
    func processing(_ n: Int) -> String {
        Executor.verbose("SDK Executor: Processing \(n) collected messages for data extraction")
    }
    func tool(_ name: String, _ id: String) -> String {
        Executor.verbose("SDK Executor: Captured tool usage - \(name) (id: \(id))")
    }
    func toolList(_ names: [String]) -> String {
        let list = "[" + names.map { "'\($0)'" }.joined(separator: ", ") + "]"
        return Executor.verbose("SDK Executor: Final tool extraction results - \(names.count) tools captured: \(list)")
    }
    var taskgroup: String {
        Executor.verbose(
            "SDK Executor: TaskGroup error in thread pool context (expected): unhandled errors in a TaskGroup (1 sub-exception)"
        )
    }
    func corrected(_ n: Int) -> String {
        Executor.verbose("SDK Executor: Correcting turn count from 0 to \(n) based on actual AssistantMessages")
    }
    var marking: String {
        Executor.verbose("SDK Executor: Marking execution as failed due to TaskGroup conflict", level: "ERROR")
    }
    func end(_ status: String, at time: String = "2025-06-19 18:14:06,931") -> String {
        Executor.verbose(
            "Updated session 99999999-0000-4000-8000-000000000000 with final status: \(status) (workflow_run_id: \(db))",
            at: time, logger: "src.agents.claude_code.agent")
    }
    func background(_ ok: Bool) -> String {
        Executor.verbose(
            "Background workflow \(workflow) completed: \(ok ? "True" : "False")",
            logger: "src.agents.claude_code.agent")
    }
    func poll(cost: String = "0.0000", tokens: Int = 0, turns: Int = 0, tools: Int = 0) -> String {
        Executor.verbose(
            "Status endpoint for \(run): Using session metadata - Cost: $\(cost), Tokens: \(tokens), Turns: \(turns), Tools: \(tools)",
            logger: "src.api.routes.claude_code_routes")
    }
    var pollAccess: String {
        "INFO:     127.0.0.1:52814 - \"GET /api/v1/workflows/claude-code/run/\(run)/status HTTP/1.1\" 200 OK"
    }
}
