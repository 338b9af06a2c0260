/// A run's lifecycle state as the ledger knows it.
public enum RunStatus: String, Codable, Sendable, CaseIterable, Comparable {
    case running, completed, failed, killed, unknown

    /// Statuses that mean the run is over; reports made after one of these can reveal a mismatch.
    public var isTerminal: Bool { self == .completed || self == .failed || self == .killed }

    /// The statuses exported on `agent_workflow_runs_finished_total`.
    public static let terminal: [RunStatus] = [.completed, .failed, .killed]

    /// Reads the executor's spellings (`completed`, `failed`, `killed`, `True`/`False`, `success`…).
    public init?(executorWord word: String) {
        switch word.lowercased() {
        case "completed", "complete", "success", "succeeded", "true": self = .completed
        case "failed", "failure", "error", "false": self = .failed
        case "killed", "cancelled", "canceled": self = .killed
        case "running", "pending": self = .running
        default: return nil
        }
    }

    public static func < (a: RunStatus, b: RunStatus) -> Bool { a.rawValue < b.rawValue }
}

/// How confidently the ledger tied a run's metric lines to it. Ordered from strongest to weakest;
/// a run shows the weakest attribution among the facts it received.
public enum Attribution: String, Codable, Sendable, Comparable, CaseIterable {
    /// Every metric line named the run (its id, or an id the log had linked to it).
    case exact
    /// Id-less lines were attributed as the burst closed by the run's end anchor.
    case burst
    /// Something about the run (its workflow) came from a neighbouring line, not from the run itself.
    case inferred
    /// The run's burst mixed lines of several runs; those lines were kept under `workflow="unknown"`.
    case ambiguous

    private var order: Int {
        switch self {
        case .exact: 0
        case .burst: 1
        case .inferred: 2
        case .ambiguous: 3
        }
    }

    public static func < (a: Attribution, b: Attribution) -> Bool { a.order < b.order }
}
