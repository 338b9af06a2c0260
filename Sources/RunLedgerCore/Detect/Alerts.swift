/// What an alert is about. One run raises at most one alert per kind, ever (the outbox's dedup key is
/// the run id and the kind).
public enum AlertKind: String, Codable, Sendable, CaseIterable {
    /// The run ended failed after a TaskGroup error although it did real work.
    case falseFailure = "false_failure"
    /// After the run ended, the executor reported 0 for a field the logs show was more.
    case reportingMismatch = "reporting_mismatch"
    /// The run cost more than the configured budget.
    case costBudget = "cost_budget"
    /// The run started and has written no line of its own work for the stall threshold, and not ended.
    case stalledRun = "stalled_run"
}

/// An alert as raised: the facts a person needs to act, frozen when it was raised.
public struct Alert: Codable, Sendable, Equatable {
    public var kind: AlertKind
    public var runId: String
    public var workflow: String
    public var status: String
    public var costNano: Int64
    public var turns: Int64
    public var tools: Int64
    public var totalTokens: Int64
    /// By source (`log`, `db`, `api`), the fields the executor reported as 0.
    public var mismatch: [String: [String]]
    public var budgetNano: Int64?
    public var raisedAtMs: Int64?
    /// For `stalled_run`: how long the run had been quiet when the alert was raised.
    public var quietForMs: Int64?
    /// For `false_failure`: where the work the executor did not commit is (`RunRecord.uncommittedWork`);
    /// absent from alerts raised before it was kept.
    public var uncommittedWork: String?

    public init(
        kind: AlertKind, runId: String, workflow: String, status: String, costNano: Int64, turns: Int64, tools: Int64,
        totalTokens: Int64, mismatch: [String: [String]], budgetNano: Int64?, raisedAtMs: Int64?,
        quietForMs: Int64? = nil, uncommittedWork: String? = nil
    ) {
        self.kind = kind
        self.runId = runId
        self.workflow = workflow
        self.status = status
        self.costNano = costNano
        self.turns = turns
        self.tools = tools
        self.totalTokens = totalTokens
        self.mismatch = mismatch
        self.budgetNano = budgetNano
        self.raisedAtMs = raisedAtMs
        self.quietForMs = quietForMs
        self.uncommittedWork = uncommittedWork
    }

    public var dedupKey: String { "\(runId)/\(kind.rawValue)" }

    /// One line for people: what happened and the numbers.
    public var summary: String {
        let cost = "$" + JSONWriter.decimalText(costNano, scale: 9)
        switch kind {
        case .falseFailure:
            return "Run \(runId) (\(workflow)) was marked failed after a TaskGroup error, but did real work: "
                + "\(turns) turns, \(tools) tools, \(cost)." + (uncommittedWork.map { " It left \($0)." } ?? "")
        case .reportingMismatch:
            let reported = mismatch.sorted { $0.key < $1.key }.map {
                "\($0.key) reported 0 for \($0.value.joined(separator: ", "))"
            }
            return "Run \(runId) (\(workflow), \(status)): the executor's \(reported.joined(separator: "; ")); "
                + "the logs show \(cost), \(totalTokens) tokens, \(turns) turns, \(tools) tools."
        case .costBudget:
            let budget = budgetNano.map { "$" + JSONWriter.decimalText($0, scale: 9) } ?? "the budget"
            return "Run \(runId) (\(workflow)) cost \(cost), over \(budget)."
        case .stalledRun:
            let quiet = quietForMs.map { " for \(($0 + 30_000) / 60_000) minutes" } ?? ""
            return "Run \(runId) (\(workflow)) started and has logged nothing\(quiet), without ending: "
                + "\(turns) turns, \(tools) tools, \(cost) so far."
        }
    }
}

/// Decides which alerts a run's change raises. Pure: the ledger stores what it returns in the same
/// transaction as the change, so a restart neither loses nor repeats an alert.
public struct AlertDetector: Sendable {
    /// Cost above which a run raises `cost_budget`; nil: no budget.
    public var budgetNano: Int64?

    public init(budgetNano: Int64? = nil) { self.budgetNano = budgetNano }

    /// Alerts `after` raises that `before` had not (a run new to the ledger has `before` nil).
    public func alerts(before: RunRecord?, after r: RunRecord, at timeMs: Int64?) -> [Alert] {
        var kinds: [AlertKind] = []
        if r.falseFailure, before?.falseFailure != true { kinds.append(.falseFailure) }
        if !r.mismatch.isEmpty, before?.mismatch.isEmpty ?? true { kinds.append(.reportingMismatch) }
        if let budget = budgetNano, r.cost > budget, (before?.cost ?? 0) <= budget { kinds.append(.costBudget) }
        if r.isStalled, before?.isStalled != true { kinds.append(.stalledRun) }
        return kinds.map { kind in
            Alert(
                kind: kind, runId: r.runId, workflow: r.workflowName, status: r.currentStatus.rawValue,
                costNano: r.cost,
                turns: r.turnCount, tools: r.toolCount, totalTokens: r.totalTokens, mismatch: r.mismatch,
                budgetNano: kind == .costBudget ? budgetNano : nil,
                raisedAtMs: kind == .stalledRun ? r.stalledAtMs : timeMs,
                quietForMs: kind == .stalledRun ? r.stalledAtMs.flatMap { at in r.lastLineAtMs.map { at - $0 } } : nil,
                uncommittedWork: kind == .falseFailure ? r.uncommittedWork : nil)
        }
    }
}
