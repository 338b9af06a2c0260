/// One run in the ledger: every value is a final value, folded from the effects of its lines.
public struct RunRecord: Codable, Equatable, Sendable {
    public var runId: String
    /// The instance that first wrote it, in a ledger a fleet shares (PostgreSQL); nil in an SQLite
    /// ledger. The store fills it in when it reads the run: it is not a fact of the log.
    public var instance: String?
    public var workflow: Ranked<String>?
    public var status: Ranked<RunStatus>?
    public var startedAtMs: Int64?
    public var endedAtMs: Int64?
    /// The time of the latest dated line of the run's own work (stall detection).
    public var lastLineAtMs: Int64?
    /// Set when the run went quiet for the stall threshold without ending; cleared by its next line.
    public var stalledAtMs: Int64?
    public var costNano: Ranked<Int64>?
    public var turns: Ranked<Int64>?
    public var tokens = TokenCounts()
    public var tools: [ToolTally] = []
    /// A count of distinct tools from a line that names none (`Tools: 3 used`).
    public var toolCountStated: Int64?
    public var taskgroupError = false
    /// The executor's latest report per source, made after the run ended.
    public var reported: [String: Report] = [:]
    /// Fields the executor reported as 0 after the run ended while the ledger had more, by source.
    /// Once seen, a mismatch stays: it happened, and an alert was raised for it.
    public var mismatch: [String: [String]] = [:]
    public var attribution: Attribution = .exact
    /// The run ended and no line named its workflow in time: it is counted as `unknown` from now on.
    public var workflowSettledUnknown = false
    /// The workflow label the run's metrics are counted under, when its workflow was folded into
    /// `other` (`WorkflowLabeler`: workflow names come from log content, so their number is capped).
    /// Decided by the log's reader when the run's workflow is set, and kept by every other writer.
    public var workflowLabel: String?
    public var dbId: String?
    public var sessionId: String?
    /// Set when a line showed every tool use of a message (`Effect.toolUsesShown`); nil until then.
    public var toolUsesSeen: Bool?
    /// Recent tool-use ids, so that a use printed twice (primary and fallback extraction) counts once.
    public var recentToolIds: [String] = []
    /// The git worktree the executor made for the run (Model/Workspace.swift); nil until a line says.
    public var workspace: Workspace?
    /// What the executor's auto-commit did for the run; nil until a line says.
    public var autoCommit: AutoCommit?
    /// Where the run's own lines are, per source; nil in records written before it was kept.
    public var logLines: [LogSpan]?

    public init(runId: String) { self.runId = runId }

    // MARK: Derived values

    public var workflowName: String { workflow?.value ?? "unknown" }
    /// The `workflow` label of the run's series.
    public var metricsWorkflow: String { workflowLabel ?? workflowName }
    /// Whether the run's workflow label is final enough to count the run under it: named (or hinted)
    /// by a line, or settled as `unknown` after its end. Counters wait for it, so that they never
    /// move a run from `unknown` to its workflow (which Prometheus would read as a counter reset).
    public var workflowSettled: Bool { workflow != nil || workflowSettledUnknown }
    public var currentStatus: RunStatus { status?.value ?? .unknown }
    public var hasEnded: Bool { currentStatus.isTerminal }
    public var cost: Int64 { costNano?.value ?? 0 }
    public var turnCount: Int64 { turns?.value ?? 0 }
    public var totalTokens: Int64 { tokens.totalTokens }
    /// Distinct tools: the names seen, or the stated count when it is larger.
    public var toolCount: Int64 { max(Int64(tools.count), toolCountStated ?? 0) }
    /// Whether the log named the run's tools; `false` when it printed only a count.
    public var toolNamesKnown: Bool { !tools.isEmpty || (toolCountStated ?? 0) == 0 }
    public var toolUses: Int64 { tools.reduce(0) { $0 + $1.uses } }
    /// Whether the log showed each use of the run's tools (stream-json `tool_use` blocks), so that
    /// `toolUses` is a count of uses; lines that name distinct tools (audit M7) leave it unknown.
    public var toolUsesKnown: Bool {
        toolUsesSeen == true && !tools.contains(where: \.fromListOnly) && (toolCountStated ?? 0) <= tools.count
    }
    /// Where the run's turn count comes from: `result` (the Claude CLI's `num_turns`) or `executor`
    /// (the executor's own count of AssistantMessages or its correction); nil when no line stated one.
    public var turnsSource: String? { turns.map { $0.rank == .result ? "result" : "executor" } }
    public var durationMs: Int64? {
        guard let s = startedAtMs, let e = endedAtMs, e >= s else { return nil }
        return e - s
    }

    /// DESIGN.md: ended failed, the executor reported a TaskGroup error for it, and it did real work.
    public var falseFailure: Bool {
        currentStatus == .failed && taskgroupError && (turnCount > 0 || toolCount > 0 || cost > 0)
    }

    /// Distinct mismatched fields over all sources (`agent_workflow_reporting_mismatches_total`).
    public var mismatchFields: [String] { Array(Set(mismatch.values.joined())).sorted() }

    public var isFlagged: Bool { falseFailure || !mismatch.isEmpty }

    /// Started, not ended, and quiet for the stall threshold (see `StallDetector`).
    public var isStalled: Bool { stalledAtMs != nil && currentStatus == .running }

    // MARK: Folding effects

    private static let recentToolIdLimit = 256

    /// Folds one effect into the record. `at` is the line's time, when its envelope had one.
    public mutating func apply(_ effect: Effect, at timeMs: Int64?, attribution how: Attribution) {
        if effect.isMetric { attribution = max(attribution, how) }
        noteActivity(effect, at: timeMs)
        switch effect {
        case .started:
            if startedAtMs == nil { startedAtMs = timeMs }
            if status == nil { status = Ranked(.running, .hint) }
        case .ended(let newStatus, let rank):
            status = .merge(status, newStatus, rank)
            if newStatus.isTerminal, endedAtMs == nil { endedAtMs = timeMs }
        case .dbId(let id): dbId = id
        case .session(let id): sessionId = id
        case .workflow(let name, let rank): workflow = .merge(workflow, name, rank)
        case .workflowUnknown: workflowSettledUnknown = true
        case .cost(let nano, let rank): costNano = .mergeKeepingPrecision(costNano, nano, rank)
        case .turns(let n, let rank):
            // A result that says 0 turns has not said how many: the executor's own count may stand.
            turns = .merge(turns, n, rank == .result && n == 0 ? .report : rank)
        case .tokens(let field, let n, let rank): tokens.set(field, n, rank)
        case .toolUse(let name, let id): recordToolUse(name: name, id: id)
        case .toolUsesShown: toolUsesSeen = true
        case .toolNames(let names):
            for name in names where !tools.contains(where: { $0.name == name }) {
                tools.append(ToolTally(name: name, uses: 1, fromListOnly: true))
            }
        case .toolCount(let n): toolCountStated = max(toolCountStated ?? 0, n)
        case .taskgroupError: taskgroupError = true
        case .report(let source, let report):
            // A report made while the run was still running is not a statement about its result.
            if hasEnded { reported[source] = report }
        case .stalled(let atMs):
            if currentStatus == .running, stalledAtMs == nil { stalledAtMs = atMs }
        case .workspace(let path, let branch): foldWorkspace(path: path, branch: branch, how)
        case .autoCommit(let outcome, let detail): foldAutoCommit(outcome, detail, how)
        case .succeeded: break
        }
        refreshMismatch()
    }

    /// A line of the run's own work dates its latest activity and ends a stall. Reports are not work:
    /// a client polling the status endpoint every few seconds says nothing about a hung run.
    private mutating func noteActivity(_ effect: Effect, at timeMs: Int64?) {
        switch effect {
        case .report, .stalled, .workflowUnknown: return
        default: break
        }
        if let t = timeMs, t > (lastLineAtMs ?? .min) { lastLineAtMs = t }
        stalledAtMs = nil
    }

    private mutating func recordToolUse(name: String, id: String?) {
        if let id {
            if recentToolIds.contains(id) { return }
            recentToolIds.append(id)
            if recentToolIds.count > Self.recentToolIdLimit { recentToolIds.removeFirst() }
        }
        if let i = tools.firstIndex(where: { $0.name == name }) {
            if tools[i].fromListOnly {
                tools[i].fromListOnly = false
            } else {
                tools[i].uses += 1
            }
        } else {
            tools.append(ToolTally(name: name, uses: 1, fromListOnly: false))
        }
    }

    private mutating func refreshMismatch() {
        // Runs every effect: return before building the field table when there is nothing to compare,
        // or when every field a report shows as 0 is already recorded (status polls repeat the same
        // report long after the run ended; building sets and sorted arrays for each showed in replay).
        guard hasEnded, !reported.isEmpty else { return }
        let c = cost, k = totalTokens, t = turnCount, u = toolCount
        var unchanged = true
        for (source, report) in reported {
            let known = mismatch[source]
            func has(_ field: String, _ value: Int64, _ stated: Int64) -> Bool {
                !(value > 0 && stated == 0) || (known?.contains(field) ?? false)
            }
            guard has("cost", c, report.costNano), has("tokens", k, report.totalTokens),
                has("turns", t, report.turns), has("tools", u, report.tools)
            else {
                unchanged = false
                break
            }
        }
        if unchanged { return }
        let ledger: [(String, Int64, KeyPath<Report, Int64>)] = [
            ("cost", cost, \.costNano), ("tokens", totalTokens, \.totalTokens),
            ("turns", turnCount, \.turns), ("tools", toolCount, \.tools),
        ]
        for (source, report) in reported {
            var fields = Set(mismatch[source] ?? [])
            for (field, value, path) in ledger where value > 0 && report[keyPath: path] == 0 {
                fields.insert(field)
            }
            if !fields.isEmpty { mismatch[source] = fields.sorted() }
        }
    }
}
