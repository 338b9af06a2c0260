import Foundation
import NIOPosix
import RunLedgerCore
import RunLedgerStore

/// Read-only connections to the ledger for HTTP handlers, separate from the writers' (WAL lets
/// readers run beside the writer). Opened on first use, so a new ledger may appear after start.
///
/// Reads run on threads of their own, never on the handlers' threads: SQLite blocks, and Swift's
/// cooperative pool has two threads here. Four clients reading `/api/runs?limit=10000` on those
/// threads, behind one lock, pushed `/metrics` to a p99 of 1.6 s. Each reader thread takes a
/// connection of its own, so reads do not queue behind one another's lock either.
public final class LedgerReader: @unchecked Sendable {
    private let path: String
    private let pool: NIOThreadPool
    private let lock = NSLock()
    private var idle: [Ledger] = []

    /// `threads` bounds the reads in flight (and the CPU they can take from the serving threads);
    /// more requests wait for a thread.
    public init(path: String, threads: Int = 2) {
        self.path = path
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Runs `body` on a reader thread with a connection to itself. Build the response there too
    /// (JSON of a thousand runs is work as well): what it returns is handed back as it is.
    public func read<T>(_ body: @escaping (Ledger) throws -> T) async throws -> T {
        let box = try await pool.runIfActive { [self] in Unchecked(try withConnection(body)) }
        return box.value
    }

    private func withConnection<T>(_ body: (Ledger) throws -> T) throws -> T {
        let ledger = try lock.withLock { idle.popLast() } ?? Ledger(path: path, readOnly: true)
        defer { lock.withLock { idle.append(ledger) } }
        return try body(ledger)
    }
}

/// Carries a value from a reader thread to the awaiting handler: it is handed over, not shared.
private struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
