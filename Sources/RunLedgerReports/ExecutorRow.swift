import Foundation
import RunLedgerCore

/// One `workflow_runs` row's metric fields as the executor wrote them, turned into its report. Both
/// readers (SQLite and PostgreSQL) go through here, so a row means the same whichever database holds it.
public enum ExecutorRow {
    /// The columns a reader needs; anything else in the table is ignored.
    public static let neededColumns: Set<String> = ["run_id", "status", "cost_estimate", "total_tokens", "metadata"]

    /// `cost` is the column as text (REAL in SQLite, NUMERIC in PostgreSQL), `metadata` the JSON
    /// column as text. An empty field (NULL, unparsable, or absent from `metadata`) is -1: not
    /// reported, so never a mismatch; only a stated 0 is a 0.
    public static func report(cost: String?, totalTokens: Int64?, metadata: String?) -> Report {
        let (turns, tools) = metadataCounts(metadata)
        return Report(
            costNano: cost.flatMap(Double.init).map { Int64(($0 * 1e9).rounded()) } ?? -1,
            totalTokens: totalTokens ?? -1, turns: turns, tools: tools)
    }

    /// Turns and tools from `metadata` (§5a: the agent writes `total_turns`, later versions also
    /// `final_turns`, and `tools_used` as a list of names); -1 for what it does not state.
    public static func metadataCounts(_ metadata: String?) -> (turns: Int64, tools: Int64) {
        let object = metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        let meta = object as? [String: Any] ?? [:]
        let turns = (meta["total_turns"] ?? meta["final_turns"]) as? NSNumber
        let tools = (meta["tools_used"] as? [Any])?.count
        return (turns?.int64Value ?? -1, tools.map(Int64.init) ?? -1)
    }
}
