import Foundation
import RunLedgerCore

/// What the executor's status API said about one run (`GET …/run/{run_id}/status`, the
/// `EnhancedStatusResponse` of shared/executor-log-formats.md §5b).
public enum StatusAnswer: Equatable, Sendable {
    /// The run ended (`completed` or `failed`): what the executor reports about its result.
    case report(Report)
    /// `pending` or `running`: not a statement about the result yet; ask again later.
    case notEnded
}

/// Reads a status response body. A field that is absent or null is -1 (not reported, never a
/// mismatch). A field of the wrong type makes the whole answer unreadable rather than half-read:
/// an API that is not the one we expect says so, once, instead of reporting a guess.
public enum StatusResponse {
    public struct Unreadable: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// Statuses whose numbers are about the run's result. The API's model knows only completed and
    /// failed; `killed` is the executor table's other end state, so it counts too.
    static let ended: Set<String> = ["completed", "failed", "killed"]
    static let running: Set<String> = ["pending", "running"]

    public static func parse(_ body: String, runId: String) throws -> StatusAnswer {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
        else { throw Unreadable("answered something that is not JSON") }
        guard let top = json as? [String: Any] else { throw Unreadable("answered JSON that is not an object") }
        if let id = top["run_id"], !(id is NSNull), id as? String != runId {
            throw Unreadable("answered about another run_id")
        }
        guard let status = top["status"] as? String else { throw Unreadable("answered no \"status\"") }
        if running.contains(status) { return .notEnded }
        guard ended.contains(status) else { throw Unreadable("answered an unknown status \"\(status.prefix(20))\"") }
        let metrics = try object(top, "metrics")
        let progress = try object(top, "progress")
        let tokens = try metrics.flatMap { try object($0, "tokens", in: "metrics.") }
        let cost = try metrics.flatMap { try number($0, "cost_usd", in: "metrics.") }
        let total = try tokens.flatMap { try number($0, "total", in: "metrics.tokens.") }
        let turns = try progress.flatMap { try number($0, "turns", in: "progress.") }
        let tools = try metrics.flatMap { try count($0, "tools_used", in: "metrics.") }
        return .report(
            Report(
                costNano: cost.map { Int64(($0 * 1e9).rounded()) } ?? -1, totalTokens: try whole(total, "tokens.total"),
                turns: try whole(turns, "progress.turns"), tools: tools ?? -1))
    }

    /// A nested object; nil when absent or null.
    private static func object(_ parent: [String: Any], _ key: String, in prefix: String = "") throws -> [String: Any]?
    {
        guard let v = parent[key], !(v is NSNull) else { return nil }
        guard let o = v as? [String: Any] else { throw Unreadable("\(prefix)\(key) is not an object") }
        return o
    }

    /// A non-negative number; nil when absent or null. A numeric string is read as its number: a
    /// PostgreSQL DECIMAL (`cost_estimate`) serialises that way through pydantic.
    private static func number(_ parent: [String: Any], _ key: String, in prefix: String) throws -> Double? {
        guard let v = parent[key], !(v is NSNull) else { return nil }
        let x: Double?
        if let n = v as? NSNumber, !isJSONBool(n) {
            x = n.doubleValue
        } else if let s = v as? String {
            x = Double(s.trimmingCharacters(in: .whitespaces))
        } else {
            x = nil
        }
        guard let x, x.isFinite, x >= 0 else { throw Unreadable("\(prefix)\(key) is not a non-negative number") }
        return x
    }

    /// The length of a list (tools_used names each distinct tool once); nil when absent or null.
    private static func count(_ parent: [String: Any], _ key: String, in prefix: String) throws -> Int64? {
        guard let v = parent[key], !(v is NSNull) else { return nil }
        guard let list = v as? [Any] else { throw Unreadable("\(prefix)\(key) is not a list") }
        return Int64(list.count)
    }

    private static func whole(_ x: Double?, _ name: String) throws -> Int64 {
        guard let x else { return -1 }
        guard x == x.rounded(), x < 9e18 else { throw Unreadable("\(name) is not a whole number") }
        return Int64(x)
    }
}
