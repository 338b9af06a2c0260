import Foundation

/// "Now" as the log tells it: the latest line time read, moved on by the host's clock while no newer
/// line arrives. Stall detection reads it, so that it works alike on a replayed old log (the log's
/// own time) and on a live executor that went silent (the host's time passes), and a wrong
/// `--utc-offset` shifts nothing.
public final class LogClock: @unchecked Sendable {
    private let lock = NSLock()
    private var latestMs: Int64?
    private var wallAtLatestMs: Int64 = 0

    public init() {}

    /// A line dated `timeMs` was read (at host time `wallMs`).
    public func advance(to timeMs: Int64, wallMs: Int64 = LogClock.wallMs()) {
        lock.withLock {
            if timeMs > (latestMs ?? .min) {
                latestMs = timeMs
                wallAtLatestMs = wallMs
            }
        }
    }

    /// Now by the log; nil until a dated line (or the ledger's last known time) was seen.
    public func nowMs(wallMs: Int64 = LogClock.wallMs()) -> Int64? {
        lock.withLock { latestMs.map { $0 + max(0, wallMs - wallAtLatestMs) } }
    }

    public static func wallMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
