/// Which run a worktree line or an auto-commit `SKIPPED` belongs to (docs/workspace.md).
///
/// A line that names the run (its id, or a session a line linked to it) is exact. The executor's own
/// worktree line names none: at 22e45cbe its "run_id" is the executor's session id, which no line ties
/// to the run until the auto-commit does, on success only. It is said by the run's thread right after
/// the run's start, so it goes to the only run started and not yet given a worktree (`inferred`); while
/// several are, it goes to none of them (each is marked `ambiguous`), so that two runs' worktrees are
/// never swapped. A path's branch is remembered from its worktree line and given to the later lines
/// that name the path and the run but not the branch.
extension Correlator {
    static let worktreeLimit = 64
    static let awaitingLimit = 64

    func awaitWorkspace(_ id: String) {
        guard !state.awaitingWorkspace.contains(where: { $0.runId == id }) else { return }
        state.awaitingWorkspace.append(.init(runId: id, line: state.line))
        if state.awaitingWorkspace.count > Self.awaitingLimit { state.awaitingWorkspace.removeFirst() }
    }

    /// The run's `Background workflow … completed: S` line came: its auto-commit lines follow.
    func awaitCommit(_ id: String, _ x: Extraction) {
        var succeeded: Bool?
        for case .succeeded(let s) in x.effects { succeeded = s }
        state.commitPending.removeAll { $0.runId == id }
        state.commitPending.append(.init(runId: id, line: state.line, succeeded: succeeded))
        if state.commitPending.count > Self.awaitingLimit { state.commitPending.removeFirst() }
    }

    func workspaceLine(_ x: Extraction, _ rule: Rule, into out: inout [Attributed]) {
        var path: String?
        var branch: String?
        for case .workspace(let p, let b) in x.effects {
            path = p
            branch = b
        }
        if let path, let branch {
            state.worktrees.removeAll { $0.path == path }
            state.worktrees.append(.init(path: path, branch: branch))
            if state.worktrees.count > Self.worktreeLimit { state.worktrees.removeFirst() }
        } else if let path, x.key == nil {
            // A reused worktree may be switched to another branch (HEAD checks out `git_branch` in it):
            // what its creation said is no longer known to hold.
            state.worktrees.removeAll { $0.path == path }
        }
        let effects = withBranch(x.effects)
        let id: String? =
            switch x.key {
            case nil: fileRun
            case .run(let r): r
            // A session no line has linked yet (`Prepared workspace at P for session S`) ties nothing.
            default: linked(x.key)
            }
        if let id {
            link(x.effects, to: id)
            out.append(.run(id: id, effects: effects, timeMs: x.timeMs, attribution: .exact))
            state.awaitingWorkspace.removeAll { $0.runId == id }
            if rule.claimsOrphanEnd {
                state.commitPending.removeAll { $0.runId == id }
                claimOrphanEnd(by: id, into: &out)
            }
            return
        }
        guard x.key == nil, path != nil else { return }
        let candidates = state.awaitingWorkspace
        if candidates.count == 1 {
            state.awaitingWorkspace.removeAll()
            out.append(.run(id: candidates[0].runId, effects: effects, timeMs: x.timeMs, attribution: .inferred))
        } else {
            // One of them made this worktree; which one the log does not say. They stay waiting: the
            // next worktree line is as uncertain, unless a line naming a run settles one of them.
            for c in candidates {
                out.append(
                    .run(
                        id: c.runId, effects: [.workspace(path: nil, branch: nil)], timeMs: nil, attribution: .ambiguous
                    ))
            }
        }
    }

    /// `SKIPPED - Conditions not met`: the run whose name line came within `commitLines` and whose
    /// auto-commit has said nothing yet, when only one can be. A run whose thread said `completed:
    /// False` skips for certain (the conditions start with `result.get("success")`), so among several
    /// such runs each gets one `SKIPPED`, whichever order they came in.
    func commitSkipped(_ x: Extraction, into out: inout [Attributed]) {
        let pending = state.commitPending
        let failed = pending.filter { $0.succeeded == false }
        let chosen: CorrelatorState.CommitPending?
        if pending.count == 1 {
            chosen = pending[0]
        } else if !failed.isEmpty, failed.count == 1 || failed.count == pending.count {
            chosen = failed[0]
        } else {
            chosen = nil
        }
        guard let c = chosen else { return }
        state.commitPending.removeAll { $0.runId == c.runId }
        out.append(.run(id: c.runId, effects: x.effects, timeMs: x.timeMs, attribution: .inferred))
    }

    /// The effects with the branch the path's worktree line gave, where the line itself gives none.
    private func withBranch(_ effects: [Effect]) -> [Effect] {
        effects.map { e in
            guard case .workspace(let p?, nil) = e, let w = state.worktrees.last(where: { $0.path == p }) else {
                return e
            }
            return .workspace(path: p, branch: w.branch)
        }
    }
}
