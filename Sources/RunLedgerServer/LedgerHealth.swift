import RunLedgerStore
import Synchronization

/// Whether the ledger takes commits, for `/healthz`: told by the writer's store
/// (`LedgerStore.observeAvailability`) on the ingest thread, read by the HTTP handlers.
public final class LedgerHealth: Sendable {
    private let state = Mutex<LedgerAvailability>(.up)

    public init() {}

    public func set(_ availability: LedgerAvailability) { state.withLock { $0 = availability } }

    public var availability: LedgerAvailability { state.withLock { $0 } }
}
