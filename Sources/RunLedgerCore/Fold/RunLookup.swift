/// Where a fold finds a run it has not touched yet in the current batch: the ledger's record, or nil
/// for a run it does not hold. The fold asks once per run per batch, so the caller may do I/O here
/// (read the ledger, take its writer lock) while the fold itself stays pure.
public protocol RunLookup {
    func run(_ id: String) throws -> RunRecord?
}

/// Labels the fold gives as it goes, kept bounded (`ToolLabeler`, `WorkflowLabeler`). They are the
/// fold's state: which tools and workflows already have a label of their own decides every later one.
public struct FoldLabels: Sendable {
    public var tools: ToolLabeler
    public var workflows: WorkflowLabeler

    public init(tools: ToolLabeler = ToolLabeler(), workflows: WorkflowLabeler = WorkflowLabeler(always: [])) {
        self.tools = tools
        self.workflows = workflows
    }

    /// The labels the ledger's rollups already use keep theirs after a restart: every writer, and every
    /// run, then counts a tool or a workflow under the same label.
    public init(rollups: SeriesValues, toolCap: Int = 64, workflowCap: Int = 64, alwaysWorkflows: Set<String>) {
        let keys = rollups.keys
        let tools = keys.filter { $0.name == Metrics.toolUses.name }.compactMap(\.labels.last)
        let seen = keys.filter { $0.name == Metrics.runsStarted.name }.compactMap(\.labels.first)
        self.init(
            tools: ToolLabeler(cap: toolCap, admitted: Set(tools.filter { $0 != "other" })),
            workflows: WorkflowLabeler(cap: workflowCap, always: alwaysWorkflows, admitted: Set(seen)))
    }
}
