/// How specific a value is. A later value replaces an earlier one when its rank is at least as high,
/// so `Correcting turn count from 0 to 10` (correction) replaces `Turns: 0` (report), while a
/// progress line (`Turn 3 - AssistantMessage received`) never overrides a report.
public enum Rank: Int, Codable, Sendable, Comparable {
    case hint = 0
    case progress = 1
    case report = 2
    case correction = 3
    /// The Claude CLI's own result for the run (`num_turns` of its result message): the executor's
    /// counts of AssistantMessages differ from it (audit M8), and the executor's database stores it.
    case result = 4

    public static func < (a: Rank, b: Rank) -> Bool { a.rawValue < b.rawValue }
}

/// The token counts a line can state. `cacheUnsplit` is cache tokens whose creation/read split the
/// line does not give (`📊 Token usage - … Cache: N`).
public enum TokenField: String, Codable, Sendable, CaseIterable {
    case input, output, cacheCreation, cacheRead, cacheUnsplit, total
}

/// What the executor itself claimed about a run (status endpoint line, its database, its API).
public struct Report: Codable, Equatable, Sendable {
    public var costNano: Int64
    public var totalTokens: Int64
    public var turns: Int64
    public var tools: Int64

    public init(costNano: Int64, totalTokens: Int64, turns: Int64, tools: Int64) {
        self.costNano = costNano
        self.totalTokens = totalTokens
        self.turns = turns
        self.tools = tools
    }
}

/// One statement a log line makes about a run. Rules turn captures into effects; the run record
/// folds effects into final values.
public enum Effect: Codable, Equatable, Sendable {
    case started
    case ended(RunStatus, Rank)
    /// The executor's `workflow_runs.id` for this run (start anchor); end anchors name it.
    case dbId(String)
    /// The executor or Claude session id of this run; stream-json lines name it.
    case session(String)
    case workflow(String, Rank)
    /// No line named the run's workflow within the window after its end: it is counted as `unknown`.
    case workflowUnknown
    case cost(nano: Int64, Rank)
    case turns(Int64, Rank)
    case tokens(TokenField, Int64, Rank)
    case toolUse(name: String, id: String?)
    /// The line shows every tool use of a message (a stream-json or SDK assistant message, read whole),
    /// so the run's uses can be counted, none included.
    case toolUsesShown
    /// A list of distinct tool names (`Final tool extraction results - … ['A', 'B']`).
    case toolNames([String])
    /// A count of distinct tools, where the line gives no names (`Tools: 3 used`).
    case toolCount(Int64)
    case taskgroupError
    /// A report by the executor (`source` is `log`, `db` or `api`).
    case report(source: String, Report)
    /// The run's git worktree (`Created worktree workspace: P on branch B`, `AUTO-COMMIT: Workspace path
    /// for run_id=R, …: P`); how sure the tie is comes with the decision (`Attributed.run`'s attribution).
    /// A nil path: the run was one of several that started together (attribution `ambiguous`).
    case workspace(path: String?, branch: String?)
    /// What the executor's auto-commit did for the run; `detail` is the sha or the error.
    case autoCommit(AutoCommitOutcome, detail: String?)
    /// `Background workflow NAME completed: False`: what the run's thread says before its auto-commit
    /// lines. The correlator uses it to tie `SKIPPED` (which names no run); the record keeps nothing.
    case succeeded(Bool)
    /// No line about the run for the stall threshold, by the log's clock at `atMs` (not a line's effect).
    case stalled(atMs: Int64)

    /// Whether this effect is a metric (cost, turns, tokens, tools, TaskGroup) rather than identity,
    /// lifecycle or report bookkeeping. Only metric effects count towards a run's attribution.
    public var isMetric: Bool {
        switch self {
        case .cost, .turns, .tokens, .toolUse, .toolNames, .toolCount, .taskgroupError: true
        default: false
        }
    }
}
