/// One time series: a metric name (with `_bucket`/`_sum`/`_count` for histogram parts) and label values
/// in the order of the metric's labels (`le` last for buckets).
public struct SeriesKey: Hashable, Comparable, Codable, Sendable {
    public var name: String
    public var labels: [String]

    public init(_ name: String, _ labels: [String]) {
        self.name = name
        self.labels = labels
    }

    /// The key as stored in the ledger's `rollups` table.
    public var encoded: String { ([name] + labels).joined(separator: "\u{1F}") }

    public init?(encoded: String) {
        let parts = encoded.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        self.init(first, Array(parts.dropFirst()))
    }

    public static func < (a: SeriesKey, b: SeriesKey) -> Bool {
        a.name != b.name ? a.name < b.name : a.labels.lexicographicallyPrecedes(b.labels)
    }
}

/// Integer values by series; the ledger's rollups and a run's contribution to them.
public typealias SeriesValues = [SeriesKey: Int64]

extension Dictionary where Key == SeriesKey, Value == Int64 {
    /// Adds `other` times `sign`, dropping series that become 0 only when they were absent before.
    public mutating func add(_ other: SeriesValues, sign: Int64 = 1) {
        for (k, v) in other { self[k] = (self[k] ?? 0).saturatingAdd(sign < 0 ? v.saturatingNegated : v) }
    }
}

/// Maps tool names to label values, keeping `agent_workflow_tool_uses_total` bounded: the first
/// `cap` tools seen get their own label, later ones are counted as `other`.
public struct ToolLabeler: Sendable {
    public let cap: Int
    public private(set) var admitted: Set<String>

    public init(cap: Int = 64, admitted: Set<String> = []) {
        self.cap = cap
        self.admitted = admitted
    }

    public mutating func label(_ tool: String) -> String {
        if admitted.contains(tool) { return tool }
        guard admitted.count < cap, tool != "other" else { return "other" }
        admitted.insert(tool)
        return tool
    }
}

/// Keeps the `workflow` label bounded: workflow names come from log content (the access log's path,
/// `Background workflow NAME`, file names), and 10,000 names made 400,000 series and a 31 s start. The
/// profile's and the configuration's workflows, and `unknown`, always get their own label; the first
/// `cap` other names seen get theirs; later ones are counted as `other`.
public struct WorkflowLabeler: Sendable {
    public let cap: Int
    public let always: Set<String>
    public private(set) var admitted: Set<String>

    public init(cap: Int = 64, always: Set<String>, admitted: Set<String> = []) {
        self.cap = cap
        self.always = always.union(["unknown"])
        self.admitted = admitted.subtracting(self.always).subtracting(["other"])
    }

    /// The label for `workflow`, or nil when it is the name itself.
    public mutating func label(_ workflow: String) -> String? {
        if always.contains(workflow) || admitted.contains(workflow) { return nil }
        guard admitted.count < cap, workflow != "other" else { return "other" }
        admitted.insert(workflow)
        return nil
    }
}
