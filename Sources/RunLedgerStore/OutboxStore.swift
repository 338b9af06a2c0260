import RunLedgerCore

/// The outbox as the notifier works it: which deliveries are due, and what became of each attempt.
/// Alerts and their deliveries enter the outbox with the batch that raised them (`LedgerStore.commit`);
/// a backend's outbox reads and updates those same deliveries. People list them through a reader
/// (`LedgerQueries.allDeliveries`), which never writes.
///
/// A class protocol: an outbox is one connection to a shared ledger, used by one thread at a time.
public protocol OutboxStore: AnyObject {
    /// Pending deliveries whose next attempt is due at `nowMs`, by alert (oldest first) then sink, at most `limit`.
    func dueDeliveries(nowMs: Int64, limit: Int) throws -> [Delivery]
    func pendingDeliveryCount() throws -> Int
    /// An attempt starts (its count and first-attempt time, for a delivery still pending), before its
    /// request: a process killed mid-request still counts it, so the retry bound holds across restarts.
    func recordAttemptStart(_ d: Delivery) throws
    /// An attempt's outcome (state, attempts, next attempt, last error) and the change of
    /// `runledger_alerts_total`, both or neither.
    func record(_ d: Delivery, rollupDelta: SeriesValues) throws
}

/// One alert's delivery to one sink.
public struct Delivery: Sendable {
    public enum State: String, Sendable { case pending, sent, failed }

    public var alertId: Int64
    public var sink: String
    public var state: State
    public var attempts: Int
    public var nextAttemptMs: Int64
    public var lastError: String?
    public var alert: Alert
    /// When it was first tried (wall clock, ms): retries are bounded by time since then.
    public var firstAttemptMs: Int64?

    public init(
        alertId: Int64, sink: String, state: State = .pending, attempts: Int = 0, nextAttemptMs: Int64 = 0,
        lastError: String? = nil, alert: Alert, firstAttemptMs: Int64? = nil
    ) {
        self.alertId = alertId
        self.sink = sink
        self.state = state
        self.attempts = attempts
        self.nextAttemptMs = nextAttemptMs
        self.lastError = lastError
        self.alert = alert
        self.firstAttemptMs = firstAttemptMs
    }
}

extension Ledger: OutboxStore {}
