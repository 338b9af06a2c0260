import CSystemd
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tells systemd (a `Type=notify` unit) how serve is doing, through sd_notify: READY=1 once HTTP listens and
/// the follower has ended its first pass (every source opened and read to where it ended), so that
/// `systemctl start` returns when /metrics tells the truth; EXTEND_TIMEOUT_USEC while that first pass reads a
/// long backlog, so a slow start that still makes progress is not killed; WATCHDOG=1 from the follower's
/// loop when the unit sets WatchdogSec, so a hung follower gets restarted while HTTP still answers.
/// Without NOTIFY_SOCKET (not started by systemd) every call returns at once.
final class ServiceManagerNotifier: Sendable {
    private struct State {
        var listening = false
        var caughtUp = false
        var ready = false
        var lastWatchdog: UInt64 = 0
        var lastExtend: UInt64
    }

    private let state: Mutex<State>
    private let enabled: Bool
    /// A quarter of WATCHDOG_USEC (sd_watchdog_enabled's advice is half; a quarter leaves room for a slow
    /// batch), or nil when the unit asked for no watchdog.
    private let watchdogInterval: UInt64?
    /// While starting, progress is told every 10 s, each time asking for 30 s more.
    private static let extendEvery: UInt64 = 10_000_000_000
    private static let extendMessage = "EXTEND_TIMEOUT_USEC=30000000"

    init() {
        enabled = getenv("NOTIFY_SOCKET") != nil
        var usec: UInt64 = 0
        watchdogInterval = enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? usec * 1000 / 4 : nil
        state = Mutex(State(lastExtend: Self.now()))
    }

    /// From `onServerRunning`: the HTTP socket listens.
    func httpListening() {
        guard enabled else { return }
        send(
            state.withLock { s in
                s.listening = true
                return Self.becomeReady(&s)
            })
    }

    /// From the follower's loop (`Follower.run`'s heartbeat), on the ingest thread.
    func followerBeat(passEnded: Bool) {
        guard enabled else { return }
        let now = Self.now()
        let messages = state.withLock { s -> [String] in
            var out: [String] = []
            if passEnded, !s.caughtUp {
                s.caughtUp = true
                out += Self.becomeReady(&s)
            }
            if !s.ready, now - s.lastExtend >= Self.extendEvery {
                s.lastExtend = now
                out.append(Self.extendMessage)
            }
            if let interval = watchdogInterval, now - s.lastWatchdog >= interval {
                s.lastWatchdog = now
                out.append("WATCHDOG=1")
            }
            return out
        }
        send(messages)
    }

    /// Around a reload (SIGHUP, `systemctl reload`): RELOADING=1 before, READY=1 once the new
    /// configuration is handed over. Only once ready: a READY=1 before would claim a start not finished.
    /// MONOTONIC_USEC is for systemd 253 and later, which check it; 252 (bookworm) ignores it.
    func reload(_ body: () -> Void) {
        let ready = enabled && state.withLock { $0.ready }
        if ready { send(["RELOADING=1\nMONOTONIC_USEC=\(Self.now() / 1000)"]) }
        body()
        if ready { send(["READY=1"]) }
    }

    private static func becomeReady(_ s: inout State) -> [String] {
        guard s.listening, s.caughtUp, !s.ready else { return [] }
        s.ready = true
        return ["READY=1"]
    }

    private func send(_ messages: [String]) {
        for message in messages { _ = sd_notify(0, message) }
    }

    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
