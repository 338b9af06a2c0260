import Foundation
import Synchronization

/// A value handed from one thread to another that takes it when it is ready: a reload's new settings,
/// read and checked on the reload's thread, taken by the ingest or delivery loop between two passes.
/// A value put before the last one was taken replaces it (only the newest configuration matters).
public final class Handoff<Value: Sendable>: Sendable {
    private struct Slot {
        var value: Value?
        var put = 0
        var taken = 0
    }
    private let slot = Mutex(Slot())

    public init() {}

    /// Leaves `value` for the taker. Any thread. Returns its number, for `waitTaken`.
    @discardableResult
    public func put(_ value: Value) -> Int {
        slot.withLock {
            $0.value = value
            $0.put += 1
            return $0.put
        }
    }

    /// The value left since the last take, once; nil when there is none.
    public func take() -> Value? {
        slot.withLock { slot in
            guard let value = slot.value.take() else { return nil }
            slot.taken = slot.put
            return value
        }
    }

    /// Blocks the calling thread until the value numbered `number` (or a newer one) has been taken, for
    /// at most `seconds`; whether it was. A reload says it is done only once the loop runs with it, so
    /// that what is written after the word is judged by the new settings.
    public func waitTaken(_ number: Int, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while slot.withLock({ $0.taken < number }) {
            guard Date() < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }
}
