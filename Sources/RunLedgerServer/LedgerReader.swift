import Foundation
import RunLedgerCore
import RunLedgerStore

/// A read-only connection to the ledger for HTTP handlers, separate from the writer's (WAL lets
/// readers run beside the writer). Opened on first use, so a new ledger may appear after start.
public final class LedgerReader: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var ledger: Ledger?

    public init(path: String) { self.path = path }

    public func read<T>(_ body: (Ledger) throws -> T) throws -> T {
        try lock.withLock {
            if ledger == nil { ledger = try Ledger(path: path, readOnly: true) }
            return try body(ledger!)
        }
    }
}
