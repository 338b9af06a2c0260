/// What a rule's line is, for the correlator.
public enum RuleRole: String, Codable, Sendable {
    /// Facts about the run the line names, or, when it names none, about the current burst.
    case fact
    /// A run begins (`Created workflow run record W for run_id R`); takes the next workflow hint.
    case startAnchor
    /// A stream-json run begins (`SDK Executor: Starting stream-json execution for run_id: R, …`): until
    /// it ends, `Claude output:` lines whose session no line ties to a run may be its (audit M3).
    case streamStart
    /// A run ends; the id-less burst before it belongs to that run.
    case endAnchor
    /// Said after the run's own end line where it has one (HEAD's route: `Workflow R completed via direct
    /// SDK execution`): it closes the burst only of a run that no end line has closed yet.
    case lateEndAnchor
    /// Facts like `fact`; the indented `  - Cost: …` lines that follow belong to the same run.
    case continuationHeader
    /// An indented line with no id of its own (`  - Tokens: … total`), tied to the header before it.
    case continuation
    /// `Background workflow NAME completed`: said by a run's thread just after its end anchor.
    case postEnd
    /// The status of the run whose end line comes next (`Claude process failed with return code: 1`, then
    /// `Workflow R completed via direct SDK execution`, with no other code of that task between them).
    case preEnd
    /// `POST /…/run/NAME`: the workflow of the next run to start.
    case workflowHint
    /// The executor restarted: no burst in flight can still end.
    case restart
    /// A line whose content the log does not hold (`[121B blob data]`): counted as malformed.
    case unreadable
    /// The run's own `workflow_runs` insert failed (942c33c9 → 15922818, audit M1): its thread will end
    /// with an end line that names no `workflow_run_id` (`orphanEnd`).
    case orphanStart
    /// `Updated session S with final status: X (workflow_run_id: None)`: the end of a run whose insert
    /// failed; which run is known only while one such run is in flight.
    case orphanEnd
    /// A line about a run's git worktree. With a run id (or an id linked to one) it is that run's; with
    /// none (`Created worktree workspace: P on branch B`, said by the run's thread just after its start),
    /// it is the only run started and not given a worktree yet (`inferred`), or, while several are,
    /// nobody's (each is marked `ambiguous`). A session id no line has linked yet ties nothing.
    case workspace
    /// Said by a run's thread right after its `Background workflow … completed` line, naming no run
    /// (`AUTO-COMMIT: ⏭️  SKIPPED - Conditions not met`): it is the run whose name line came last, when
    /// the neighbouring lines leave one candidate (docs/workspace.md).
    case followsPostEnd
    /// A line that is read and deliberately yields nothing (it repeats what another line states, or
    /// states what the executor stored rather than what happened); it is not malformed.
    case ignored
}

/// Which capture names the run, and how.
public enum KeySpec: Codable, Sendable, Equatable {
    /// The capture is the run id.
    case run(String)
    /// The capture is the executor's `workflow_runs.id`, linked to the run by its start anchor.
    case dbId(String)
    /// The capture is a session id, linked to the run by an earlier line.
    case session(String)
}

/// How a capture becomes an effect. Capture names refer to the template's holes.
public enum Emit: Codable, Sendable, Equatable {
    case started
    case ended(status: String, Rank)
    /// The line states the status itself (`Workflow execution failed for R: E`).
    case endedAs(RunStatus, Rank)
    case dbId(String)
    case session(String)
    case workflow(String, Rank)
    case cost(String, Rank)
    case turns(String, Rank)
    case tokens(TokenField, String, Rank)
    /// One use of a tool, where the line is printed for every use (stream-json `tool_use` blocks).
    case toolUse(name: String, id: String?)
    /// A tool's name, printed once per distinct tool (`Captured tool usage - X`: the executor logs a
    /// name only when it is new to the run, audit M7), so it says nothing about the number of uses.
    case toolName(String)
    /// A Python `repr` list of names: `['Write', 'LS']`.
    case toolNames(String)
    case toolCount(String)
    case taskgroupError
    case report(source: String, cost: String, tokens: String, turns: String, tools: String)
    /// A worktree path and, where the line gives it, its branch. The path `None` (Python's, when the
    /// executor found no workspace) states nothing.
    case workspace(path: String, branch: String?)
    /// An auto-commit outcome; `detail` names the capture holding the sha or the error.
    case autoCommit(AutoCommitOutcome, detail: String?)
    /// `True` or `False` (anything else is not `True`): whether the run's thread says it succeeded.
    case succeeded(String)
    /// `{workflow}_{session}.log`: the workflow name and the session that the run was linked to.
    case workflowSessionFile(String)
    /// A Claude Code stream-json object or a per-run JSONL event; the key comes from inside it.
    case streamJSON(String)
}

/// One line format of the executor: a template and what its captures mean. A new executor release
/// is a new rule, not new code.
public struct Rule: Codable, Sendable {
    public var name: String
    public var template: String
    /// The literal that must start the message before the template is tried; by default the
    /// template's text before its first hole.
    public var prefix: String?
    public var role: RuleRole
    public var key: KeySpec?
    public var emits: [Emit]
    /// A run's thread writes this line at most once per execution; seeing it twice in one burst
    /// means two runs' lines are mixed.
    public var oncePerRun: Bool
    /// A progress counter (`Turn N`): within one run it only grows, so a drop means another run.
    public var progress: Bool
    /// When the prefix matches but the template does not, the line is malformed (it looks like a
    /// metric line and cannot be read). Off for lines that only give hints.
    public var strict: Bool
    /// Said by a run's own thread right after its end line (`AUTO-COMMIT: Workspace path for run_id=R`):
    /// it tells whose an end line that named no run was (see `RuleRole.orphanEnd`).
    public var claimsOrphanEnd = false
    /// Said by a run's own thread in the middle of its id-less burst (`Isolator: Starting thread pool
    /// execution for R`): the open burst is that run's, should its end line not say (`RuleRole.orphanEnd`).
    public var namesBurst = false
    /// An end line after which the run's thread names its workflow (`Background workflow NAME completed`).
    public var nameFollows = false

    public init(
        _ name: String, _ template: String, role: RuleRole = .fact, key: KeySpec? = nil, emits: [Emit] = [],
        prefix: String? = nil, oncePerRun: Bool = false, progress: Bool = false, strict: Bool = true,
        claimsOrphanEnd: Bool = false, namesBurst: Bool = false, nameFollows: Bool = false
    ) {
        self.name = name
        self.template = template
        self.prefix = prefix
        self.role = role
        self.key = key
        self.emits = emits
        self.oncePerRun = oncePerRun
        self.progress = progress
        self.strict = strict
        self.claimsOrphanEnd = claimsOrphanEnd
        self.namesBurst = namesBurst
        self.nameFollows = nameFollows
    }
}

/// A named set of rules: how one executor writes its logs.
public struct Profile: Codable, Sendable {
    public var name: String
    public var rules: [Rule]
    /// Workflows exported at 0 from the first scrape.
    public var knownWorkflows: [String]

    public init(name: String, rules: [Rule], knownWorkflows: [String]) {
        self.name = name
        self.rules = rules
        self.knownWorkflows = knownWorkflows
    }
}

extension Profile {
    /// The built-in profiles by name, as config `profile` names them. A new executor's profile is a
    /// file with its `static let` and one entry here (CONTRIBUTING.md).
    public static let builtIn: [String: Profile] = [Profile.automagik.name: .automagik]

    public static func named(_ name: String) -> Profile? { builtIn[name] }
}
