import Synchronization

/// A value handed from one thread to another that takes it when it is ready: a reload's new settings,
/// read and checked on the reload's thread, taken by the ingest or delivery loop between two passes.
/// A value put before the last one was taken replaces it (only the newest configuration matters).
public final class Handoff<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)

    public init() {}

    /// Leaves `value` for the taker. Any thread.
    public func put(_ value: Value) { slot.withLock { $0 = value } }

    /// The value left since the last take, once; nil when there is none.
    public func take() -> Value? { slot.withLock { $0.take() } }
}
