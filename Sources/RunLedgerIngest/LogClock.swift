import Foundation
import Synchronization

/// "Now" as the log tells it: the latest line time read, moved on by the host's clock while no newer
/// line arrives. Stall detection reads it, so that it works alike on a replayed old log (the log's
/// own time) and on a live executor that went silent (the host's time passes), and a wrong
/// `--utc-offset` shifts nothing.
public final class LogClock: Sendable {
    /// The latest line time read, and the host's time when it was read.
    private let latest = Mutex<(lineMs: Int64, wallMs: Int64)?>(nil)

    public init() {}

    /// A line dated `timeMs` was read (at host time `wallMs`).
    public func advance(to timeMs: Int64, wallMs: Int64 = LogClock.wallMs()) {
        latest.withLock {
            if timeMs > ($0?.lineMs ?? .min) { $0 = (timeMs, wallMs) }
        }
    }

    /// Now by the log; nil until a dated line (or the ledger's last known time) was seen.
    public func nowMs(wallMs: Int64 = LogClock.wallMs()) -> Int64? {
        latest.withLock { $0.map { $0.lineMs + max(0, wallMs - $0.wallMs) } }
    }

    public static func wallMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
