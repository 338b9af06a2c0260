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

extension Ranked where Value == Int64 {
    /// `merge` for nano-dollar amounts, where a rounded print of a value must not replace the value
    /// itself (audit M5: `Extracted metrics: cost=1.2783756999999998`, then `  - Cost: $1.2784`).
    /// At the same rank, a value with fewer decimals that equals the current one rounded to those
    /// decimals is the same amount printed coarser, and the current one stays, in whichever order the
    /// lines or files come. Any other value replaces it as `merge` does.
    public static func mergeKeepingPrecision(_ current: Ranked?, _ value: Int64, _ rank: Rank) -> Ranked {
        if let current, current.rank == rank, value != current.value {
            let unit = decimalUnit(value)
            if unit > decimalUnit(current.value), rounded(current.value, to: unit) == value { return current }
        }
        return merge(current, value, rank)
    }

    /// The place of the last non-zero digit: 1 for 1.278375700 (in nano), 100_000 for 1.278400000.
    static func decimalUnit(_ nano: Int64) -> Int64 {
        guard nano != 0 else { return 1_000_000_000 }
        var unit: Int64 = 1
        while unit < 1_000_000_000, nano % (unit * 10) == 0 { unit *= 10 }
        return unit
    }

    static func rounded(_ nano: Int64, to unit: Int64) -> Int64 {
        let half = unit / 2
        return nano >= 0 ? (nano + half) / unit * unit : -((-nano + half) / unit * unit)
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
    /// whose creation/read split the log does not give: what a total has beyond the parts a line split
    /// it into (the executor's total is input + output + cache creation + cache read). `unknown` is a
    /// total no line split at all (`  - Tokens: N total`, `tokens=N`): it is not cache (audit M6).
    public var byKind: [(kind: String, value: Int64)] {
        let rest = max(0, totalTokens - splitParts)
        let split = input != nil || output != nil || cacheCreation != nil || cacheRead != nil || cacheUnsplit != nil
        return [
            ("input", input?.value ?? 0),
            ("output", output?.value ?? 0),
            ("cache_creation", cacheCreation?.value ?? 0),
            ("cache_read", cacheRead?.value ?? 0),
            ("cache", split ? rest : 0),
            ("unknown", split ? 0 : rest),
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
