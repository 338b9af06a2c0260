/// The largest values one line may state about one run, and sums that never trap.
///
/// A line beyond these (a negative count, `Turns: 999999999999999999`, `Cost: $9223372036.85`) is
/// malformed: no run of an agent costs 100,000 USD or counts 10^12 turns, tokens or tools, and summing
/// such values over runs would overflow the counters (a trap that every restart would hit again, since
/// the line's position is never committed). Sums over many runs still could: they saturate.
public enum ValueLimits {
    /// 100,000 USD, in the ledger's 10^-9 USD.
    public static let costNano: Int64 = 100_000 * 1_000_000_000
    /// Turns, tokens, tool uses and tool counts of one run.
    public static let count: Int64 = 1_000_000_000_000

    /// The longest worktree path kept (Linux's PATH_MAX): a longer one is no path the executor made.
    public static let pathBytes = 4096
    /// The longest branch name kept.
    public static let branchBytes = 1024
    /// An auto-commit error is kept to this many bytes (cut at a character, with `…`): it is git's
    /// stderr or an exception's text, read by people, and a crafted line must not grow a record.
    public static let errorBytes = 512

    /// `text` cut to at most `maxBytes` bytes of UTF-8 at a character boundary, with `…` when cut.
    public static func clipped(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        var out = ""
        var used = 0
        for c in text.unicodeScalars {
            let n = String(c).utf8.count
            if used + n > maxBytes - 3 { break }
            out.unicodeScalars.append(c)
            used += n
        }
        return out + "…"
    }

    /// Why `value` cannot be a cost of one run, or nil when it can.
    public static func costProblem(_ value: Int64) -> String? {
        value < 0 ? "is negative" : value > costNano ? "is over 100,000 USD" : nil
    }

    /// Why `value` cannot be a count of one run, or nil when it can.
    public static func countProblem(_ value: Int64) -> String? {
        value < 0 ? "is negative" : value > count ? "is over 10^12" : nil
    }
}

extension Int64 {
    /// `self + other`, held at `Int64.max` or `Int64.min` instead of overflowing (SQLite's
    /// `CAST(a + b AS INTEGER)` gives the same, so the live counters and the ledger's rollups agree).
    @inline(__always)
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `-self`, with `Int64.min` held at `Int64.max`.
    public var saturatingNegated: Int64 { self == .min ? .max : -self }
}
