import Foundation
import RunLedgerCore
import RunLedgerHTTP
import RunLedgerStore

/// Delivers the outbox: each pending delivery to its sink, with retries, 429s and a per-sink rate
/// limit. An attempt is counted before its request; its outcome and the change of
/// `runledger_alerts_total` commit together after the answer, so a kill never loses a delivery and
/// never marks one sent unanswered; one killed mid-request is sent again, with the same
/// `Idempotency-Key` (the alert's dedup key) for receivers that honour it. It works any backend's
/// outbox (`OutboxStore`).
public final class Notifier {
    private let ledger: any OutboxStore
    private var sinks: [String: Sink]
    private var publicURL: String
    private var policy: RetryPolicy
    private let client = CurlClient()
    private var lastSentMs: [String: Int64] = [:]
    /// Per sink, no request before this time: the retry time of its last failed attempt (a 429's
    /// `Retry-After`, or the backoff after a refused connection, a timeout or a 5xx).
    private var pausedUntilMs: [String: Int64] = [:]
    /// Called with each attempt's change of `runledger_alerts_total` (for the live metrics) and a
    /// line for the log (never holding a URL).
    public var onChange: (SeriesValues, String) -> Void = { _, _ in }
    /// Called after each pass with the deliveries still pending (`runledger_outbox_pending`).
    public var onPending: (Int) -> Void = { _ in }
    public var timeoutMs = 10_000
    /// The time now in milliseconds since the epoch: the wall clock, or a test's own, so that retry
    /// schedules and rate limits are tested by moving time instead of sleeping through it.
    private let clock: @Sendable () -> Int64

    public init(
        ledger: any OutboxStore, sinks: [Sink], publicURL: String, policy: RetryPolicy = RetryPolicy(),
        clock: @escaping @Sendable () -> Int64 = Notifier.wallClockMs
    ) {
        self.ledger = ledger
        self.sinks = Dictionary(uniqueKeysWithValues: sinks.map { ($0.name, $0) })
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.policy = policy
        self.clock = clock
    }

    /// A reload's sinks, links and retry policy, for the next pass. A delivery already queued goes to
    /// its sink while the sink stays configured (by name), with the new URL if it changed; a removed
    /// sink's deliveries stay pending, untried, until a sink of that name is configured again. A sink's
    /// pause and rate limit carry over, so a reload never lets a burst through to a sink that said 429.
    public func reconfigure(sinks: [Sink], publicURL: String, policy: RetryPolicy) {
        self.sinks = Dictionary(uniqueKeysWithValues: sinks.map { ($0.name, $0) })
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.policy = policy
    }

    @Sendable public static func wallClockMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func nowMs() -> Int64 { clock() }

    /// Attempts every delivery due now, once. Returns the number still pending for configured sinks.
    @discardableResult
    public func deliverDue(until shouldStop: () -> Bool = { false }) throws -> Int {
        for var d in try ledger.dueDeliveries(nowMs: nowMs(), limit: 100) where !shouldStop() {
            guard let sink = sinks[d.sink] else { continue }  // a sink no longer configured keeps its deliveries
            // The clock at this request, not at the start of the pass: a pass can spend seconds on slow
            // sinks, and a limit measured from its start let two requests to Slack 0.1 s apart.
            let start = nowMs()
            if let until = pausedUntilMs[sink.name], start < until { continue }
            if let last = lastSentMs[sink.name], start - last < sink.minIntervalMs { continue }
            lastSentMs[sink.name] = start
            d.attempts += 1
            d.firstAttemptMs = d.firstAttemptMs ?? start
            try ledger.recordAttemptStart(d)
            let result = post(d, to: sink)
            let outcome = policy.outcome(
                of: result, attempts: d.attempts, firstAttemptMs: d.firstAttemptMs ?? start, nowMs: nowMs())
            let counted: String
            switch outcome {
            case .sent:
                d.state = .sent
                d.lastError = nil
                counted = "sent"
            case .retry(let at, let reason):
                d.nextAttemptMs = at
                d.lastError = reason
                counted = "retried"
                // A failure speaks for the sink: a 429 (Slack limits per webhook, Discord per route),
                // and a sink that is down or failing. Every delivery to it waits, and the next attempt
                // probes it with one request — not one timeout per pending alert on every pass, which
                // held up the other sinks behind a black-holed one.
                pausedUntilMs[sink.name] = at
            case .failed(let reason):
                d.state = .failed
                d.lastError = reason
                counted = "failed"
            }
            let delta: SeriesValues = [SeriesKey(Metrics.alerts.name, [d.sink, d.alert.kind.rawValue, counted]): 1]
            try ledger.record(d, rollupDelta: delta)
            onChange(
                delta, "alert \(d.alert.dedupKey) to \(d.sink): \(counted)" + (d.lastError.map { " (\($0))" } ?? ""))
        }
        return try ledger.dueDeliveries(nowMs: Int64.max, limit: 10_000).filter { sinks[$0.sink] != nil }.count
    }

    private func post(_ d: Delivery, to sink: Sink) -> Result<HTTPResult, TransportError> {
        let runURL = "\(publicURL)/runs/\(d.alert.runId)"
        let body = Array(Payload.body(for: sink.kind, d.alert, runURL: runURL, externalURL: publicURL).utf8)
        do {
            return .success(
                try client.post(
                    sink.url, body: body,
                    headers: [
                        "Content-Type: application/json", "Idempotency-Key: \(d.alert.dedupKey)",
                        "User-Agent: runledger",
                    ], timeoutMs: timeoutMs))
        } catch let e as TransportError {
            return .failure(e)
        } catch {
            return .failure(TransportError(description: "\(error)"))
        }
    }

    /// Delivers until nothing is pending for the configured sinks or `deadline` passes (replay).
    /// Returns what is still pending.
    public func drain(deadline: Date) throws -> Int {
        while true {
            let pending = try deliverDue()
            if pending == 0 || Date() >= deadline { return pending }
            let next = try nextAttemptMs() ?? nowMs()
            let waitMs = max(10, min(500, next - nowMs()))
            usleep(UInt32(waitMs * 1000))
        }
    }

    /// When a pending delivery can next be attempted: its own retry time, its sink's pause and its
    /// sink's rate limit (so that a replay waiting out a 429 sleeps instead of asking every 10 ms).
    func nextAttemptMs() throws -> Int64? {
        try ledger.dueDeliveries(nowMs: Int64.max, limit: 10_000).compactMap { d -> Int64? in
            guard let sink = sinks[d.sink] else { return nil }
            let limit = lastSentMs[sink.name].map { $0 + sink.minIntervalMs } ?? 0
            return max(d.nextAttemptMs, pausedUntilMs[sink.name] ?? 0, limit)
        }.min()
    }

    /// Delivers until `shouldStop` (serve), checking at least every `pollMs`. A stop is seen between
    /// deliveries and within 50 ms of a wait; a request in flight ends first (at most `timeoutMs`), so
    /// its outcome is recorded rather than sent again.
    /// `beforePass` runs first on every pass, on this thread (a reload's `reconfigure`). With no sink
    /// configured the outbox is not read: nothing could be delivered.
    public func run(until shouldStop: () -> Bool, pollMs: Int64 = 250, beforePass: () -> Void = {}) {
        while !shouldStop() {
            beforePass()
            do { onPending(sinks.isEmpty ? 0 : try deliverDue(until: shouldStop)) } catch {
                onChange([:], "alert delivery: \(error)")
            }
            for _ in 0..<max(1, pollMs / 50) where !shouldStop() { usleep(50_000) }
        }
    }
}
