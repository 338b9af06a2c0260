/// Finds runs that started and went quiet: no line of their own work for `afterMs`, and no end.
///
/// "Now" is the log's clock (see `LogClock` in RunLedgerIngest), not the host's: a wrong `--utc-offset`
/// would otherwise make every running run look hours quiet, and a replayed old log would stall all
/// its runs at once. Runs whose lines carry no time (message-only files) cannot be judged and are left.
public struct StallDetector: Sendable {
    public var afterMs: Int64

    public init(afterMs: Int64) { self.afterMs = afterMs }

    public func isStalled(_ r: RunRecord, nowMs: Int64) -> Bool {
        guard afterMs > 0, r.currentStatus == .running, r.stalledAtMs == nil,
            let last = r.lastLineAtMs ?? r.startedAtMs
        else { return false }
        return nowMs - last >= afterMs
    }
}
