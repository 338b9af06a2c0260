/// Where a run's work is: the git worktree and branch the executor made for it, what became of its
/// auto-commit, and where its own lines are in the log (docs/workspace.md).

/// The worktree the executor said it created or reused for the run.
public struct Workspace: Codable, Equatable, Sendable {
    /// nil when the run was one of several that started together and the log does not say which
    /// worktree was its own (`attribution` is then `ambiguous`).
    public var path: String?
    public var branch: String?
    /// `exact`: a line named the run (or an id linked to it) and the path; `inferred`: an id-less
    /// worktree line came while this was the only run started and not yet given one; `ambiguous`: it
    /// came while several were, so none is given a path.
    public var attribution: Attribution

    public init(path: String?, branch: String?, attribution: Attribution) {
        self.path = path
        self.branch = branch
        self.attribution = attribution
    }
}

/// What the executor's `📝 AUTO-COMMIT:` lines (and `cli_environment`'s commit lines) said.
public enum AutoCommitOutcome: String, Codable, Sendable, CaseIterable {
    /// `✅ SUCCESS for run R: SHA` or `Auto-committed snapshot for run R: …`.
    case committed
    /// `❌ FAILED for run R: E`, `💥 EXCEPTION for run R: E`, `Auto-commit failed for run R: E`.
    case failed
    /// `⏭️  SKIPPED - Conditions not met` (no run id: see docs/workspace.md).
    case skipped
    /// `⚠️  No workspace path found for run R`.
    case noWorkspace = "no_workspace"
}

public struct AutoCommit: Codable, Equatable, Sendable {
    public var outcome: AutoCommitOutcome
    /// The commit sha for `committed` (nil: the executor printed `None`/`N/A`, or only the snapshot
    /// line came), the error for `failed`.
    public var detail: String?
    /// `exact` for the lines that name the run; `inferred` for `SKIPPED`, tied by position.
    public var attribution: Attribution

    public init(outcome: AutoCommitOutcome, detail: String?, attribution: Attribution) {
        self.outcome = outcome
        self.detail = detail
        self.attribution = attribution
    }
}

/// The first and last line of one source attributed to the run (the ingest's line count: the file's
/// line numbers until it is rotated or truncated, see docs/workspace.md).
public struct LogSpan: Codable, Equatable, Sendable {
    public var source: String
    public var first: Int64
    public var last: Int64

    public init(source: String, first: Int64, last: Int64) {
        self.source = source
        self.first = first
        self.last = last
    }
}

extension RunRecord {
    /// At most this many sources keep a span (a run's lines are in the main log and its per-run file).
    static let logSpanLimit = 4

    mutating func foldWorkspace(path: String?, branch: String?, _ how: Attribution) {
        // A weaker attribution never replaces a stronger one: an exact line beats an inference.
        if let old = workspace, old.attribution < how { return }
        var new = Workspace(path: path, branch: branch, attribution: how)
        // `Created workspace for run R: P` names no branch; the worktree line for P did.
        if let old = workspace, old.path == path, branch == nil { new.branch = old.branch }
        workspace = new
    }

    /// The work is in a commit once any line says so: a later exception (in the executor's bookkeeping
    /// after the commit) does not undo it. Otherwise the latest outcome stands, and a specific error
    /// or a sha is not replaced by a vaguer one (`FAILED … Unknown error` after `Auto-commit failed …: E`).
    mutating func foldAutoCommit(_ outcome: AutoCommitOutcome, _ detail: String?, _ how: Attribution) {
        if let old = autoCommit {
            if old.outcome == .committed, outcome != .committed { return }
            if old.outcome == outcome, old.detail != nil, detail == nil || detail == "Unknown error" { return }
            // A position-tied `SKIPPED` does not overwrite what a line naming the run said.
            if how > old.attribution, old.outcome != outcome { return }
        }
        autoCommit = AutoCommit(outcome: outcome, detail: detail, attribution: how)
    }

    /// Notes that line `line` of `source` was attributed to the run. O(1): a run has at most a few
    /// sources, and the source's name is stored once, on its first line.
    public mutating func noteLine(_ source: String, _ line: Int64) {
        guard line > 0 else { return }
        if logLines == nil { logLines = [] }
        for i in logLines!.indices where logLines![i].source == source {
            if line < logLines![i].first { logLines![i].first = line }
            if line > logLines![i].last { logLines![i].last = line }
            return
        }
        guard logLines!.count < Self.logSpanLimit else { return }
        logLines!.append(LogSpan(source: source, first: line, last: line))
    }

    /// For a false failure whose work no line shows committed: where that work is, in words. nil
    /// otherwise. The wording rules are in docs/workspace.md.
    public var uncommittedWork: String? {
        guard falseFailure, autoCommit?.outcome != .committed else { return nil }
        var text: String
        if let path = workspace?.path {
            text = "uncommitted work in \(path)"
            text += workspace?.branch.map { " on \($0)" } ?? " (branch not logged)"
            if workspace?.attribution == .inferred { text += " (worktree inferred from the run's start)" }
        } else if workspace?.attribution == .ambiguous {
            text = "uncommitted work in a worktree the log does not tie to this run (several runs started together)"
        } else {
            text = "uncommitted work; the log names no worktree for this run"
        }
        return text
    }

    /// The auto-commit outcome in words, for the run page: `skipped (conditions not met)`.
    public var autoCommitText: String {
        guard let a = autoCommit else { return "not logged" }
        switch a.outcome {
        case .committed: return a.detail.map { "committed \($0)" } ?? "succeeded, no commit sha logged"
        case .failed: return "failed: \(a.detail ?? "no error logged")"
        case .skipped: return "skipped (conditions not met)"
        case .noWorkspace: return "not done: the executor found no workspace path"
        }
    }
}
