/// Effects from one line, with the line's time.
public struct PendingFact: Codable, Sendable, Equatable {
    public var effects: [Effect]
    public var timeMs: Int64?
    /// From a progress line (`Turn N`), which another run's progress lines can interleave with.
    public var progress = false

    public init(effects: [Effect], timeMs: Int64?, progress: Bool = false) {
        self.effects = effects
        self.timeMs = timeMs
        self.progress = progress
    }
}

/// Metric facts that no rule could tie to a run. They are kept in the ledger and counted under
/// `workflow="unknown"`, never guessed into a run.
public struct UnattributedGroup: Codable, Sendable, Equatable {
    /// `ambiguous` (a burst mixed runs), `restart` (the executor restarted mid-burst),
    /// `no-end-anchor`, `unlinked` (an id the log never tied to a run), `overflow`.
    public var reason: String
    public var facts: [PendingFact]

    public init(reason: String, facts: [PendingFact]) {
        self.reason = reason
        self.facts = facts
    }
}

/// What the correlator decided about a line.
public enum Attributed: Sendable, Equatable {
    case run(id: String, effects: [Effect], timeMs: Int64?, attribution: Attribution)
    /// The run's own burst was mixed with another run's; its id-less facts went to `unknown`.
    case markAmbiguous(id: String)
    case unattributed(UnattributedGroup)
}

extension Effect {
    /// Whether the effect may create a run the ledger has not seen. Reports and links about a run
    /// that never started in the ledger's sources are not a run of their own.
    public var createsRun: Bool {
        switch self {
        case .report, .dbId, .session, .workflow, .workflowUnknown, .workspace, .autoCommit, .succeeded: false
        default: true
        }
    }
}

extension Effect {
    /// Whether a line with this effect is one of the run's own (its work, start, end, worktree, commit),
    /// for `RunRecord.logLines`. Status polls are about the run, not of it; a stall and an unknown
    /// workflow are the ledger's own conclusions.
    public var isRunLine: Bool {
        switch self {
        case .report, .stalled, .workflowUnknown: false
        default: true
        }
    }
}
