import NIOPosix
import RunLedgerStore
import Synchronization

/// Readers of the ledger for HTTP handlers, apart from the writer's connection (SQLite's WAL lets
/// readers run beside the writer), opened through the ledger's backend on first use, so that a new
/// ledger may appear after start.
///
/// Reads run on threads of their own, never on the handlers' threads: a read may block, and Swift's
/// cooperative pool has two threads here. Four clients reading `/api/runs?limit=10000` on those
/// threads, behind one lock, pushed `/metrics` to a p99 of 1.6 s. Each reader thread takes a
/// reader of its own, so reads do not queue behind one another's lock either.
public final class LedgerReader: Sendable {
    private let backend: any LedgerBackend
    private let pool: NIOThreadPool
    private let idle = Mutex<[PooledReader]>([])

    /// `threads` bounds the reads in flight (and the CPU they can take from the serving threads);
    /// more requests wait for a thread.
    public init(backend: any LedgerBackend, threads: Int = 2) {
        self.backend = backend
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Runs `body` on a reader thread with a reader to itself. Build the response there too (JSON of
    /// a thousand runs is work as well): what it returns is handed back as it is.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerQueries) throws -> T) async throws -> T {
        try await pool.runIfActive { [self] in
            let reader = try idle.withLock { $0.popLast() } ?? PooledReader(try backend.openReader())
            defer { idle.withLock { $0.append(reader) } }
            return try reader.use(body)
        }
    }
}

/// One reader, used by one thread at a time: it is taken from the idle list for a read and put back
/// after. Its lock is never contended; it is how the compiler sees that the reader is not shared.
private final class PooledReader: Sendable {
    private let reader: Mutex<any LedgerQueries>

    init(_ reader: sending any LedgerQueries) { self.reader = Mutex(reader) }

    func use<T: Sendable>(_ body: (any LedgerQueries) throws -> T) throws -> T {
        try reader.withLock { try body($0) }
    }
}
