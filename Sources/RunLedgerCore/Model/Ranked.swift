/// A value together with the rank of the line that stated it.
public struct Ranked<Value: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
    public var value: Value
    public var rank: Rank

    public init(_ value: Value, _ rank: Rank) {
        self.value = value
        self.rank = rank
    }

    /// Applies "a later, more specific value replaces an earlier one".
    public static func merge(_ current: Ranked?, _ value: Value, _ rank: Rank) -> Ranked {
        guard let current, current.rank > rank else { return Ranked(value, rank) }
        return current
    }
}

/// The token counts of a run, each with the rank of its source line.
public struct TokenCounts: Codable, Equatable, Sendable {
    public var input: Ranked<Int64>?
    public var output: Ranked<Int64>?
    public var cacheCreation: Ranked<Int64>?
    public var cacheRead: Ranked<Int64>?
    public var cacheUnsplit: Ranked<Int64>?
    public var total: Ranked<Int64>?

    public init() {}

    public mutating func set(_ field: TokenField, _ value: Int64, _ rank: Rank) {
        switch field {
        case .input: input = .merge(input, value, rank)
        case .output: output = .merge(output, value, rank)
        case .cacheCreation: cacheCreation = .merge(cacheCreation, value, rank)
        case .cacheRead: cacheRead = .merge(cacheRead, value, rank)
        case .cacheUnsplit: cacheUnsplit = .merge(cacheUnsplit, value, rank)
        case .total: total = .merge(total, value, rank)
        }
    }

    private var splitParts: Int64 {
        (input?.value ?? 0) + (output?.value ?? 0) + (cacheCreation?.value ?? 0) + (cacheRead?.value ?? 0)
    }

    /// The run's total: the stated total, or the sum of the parts when that is larger (or no total was stated).
    public var totalTokens: Int64 {
        let parts = splitParts + (cacheCreation == nil && cacheRead == nil ? (cacheUnsplit?.value ?? 0) : 0)
        return max(total?.value ?? 0, parts)
    }

    /// Tokens by Prometheus `kind`; the kinds always sum to `totalTokens`. `cache` holds cache tokens
    /// whose creation/read split the log does not give.
    public var byKind: [(kind: String, value: Int64)] {
        let cache = totalTokens - splitParts
        return [
            ("input", input?.value ?? 0),
            ("output", output?.value ?? 0),
            ("cache_creation", cacheCreation?.value ?? 0),
            ("cache_read", cacheRead?.value ?? 0),
            ("cache", max(0, cache)),
        ]
    }
}

/// One tool a run used, with the number of uses the log showed.
public struct ToolTally: Codable, Equatable, Sendable {
    public var name: String
    public var uses: Int64
    /// True while the only evidence is a name list (counted as one use); the first real use replaces it.
    public var fromListOnly: Bool
}
