import RunLedgerCore
import RunLedgerStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Facts from outside the log, for the writer to fold in: a report source's answers, the stall watch's marks.
public enum OutsideFacts: Sendable, Equatable {
    /// The reports `source` gave for these runs (new or changed since the ledger's).
    case reports([String: Report], source: String)
    /// These runs went quiet for the stall threshold, by the log's clock at `atMs`.
    case stalls(runIds: [String], atMs: Int64)

    /// Nothing to fold: no report changed, no run stalled.
    var isEmpty: Bool {
        switch self {
        case .reports(let reports, _): return reports.isEmpty
        case .stalls(let ids, _): return ids.isEmpty
        }
    }

    /// The fold's source name, which its commits are told under.
    var foldSource: String {
        switch self {
        case .reports(_, let source): return "reports-\(source)"
        case .stalls: return "stall-watch"
        }
    }
}

/// What one commit changed, told to the writer's observers after its transaction and never before:
/// a commit that fails tells nothing, so what observers add up is always what the ledger holds.
public struct Committed: Sendable {
    /// The fold that committed: a log source's name, `reports-NAME` or `stall-watch`.
    public var source: String
    /// The change of every ledger-derived series.
    public var changes: SeriesValues
}

/// The one writer of a ledger in this process. Every change reaches the ledger through it: the log
/// sources' folds commit through it on the thread that runs it, and the report pollers and the stall
/// watch, on threads of their own, only read and hand it `OutsideFacts` through its `inbox`. It folds
/// those between two log batches, never inside one, so no fold ever computes a run's change from a copy
/// another fold is about to write over, and no lock between writers is needed.
public final class LedgerWriter {
    public let store: any LedgerStore
    /// Where other threads leave facts for this writer; it wakes the writer's wait.
    public let inbox = WriterInbox()
    private var options: FileIngest.Options
    private var observers: [(Committed) -> Void] = []
    private var failureObservers: [(String) -> Void] = []
    /// One fold per outside source, created on its first facts (their labels start from the rollups then).
    private var outsideFolds: [String: LedgerFold] = [:]
    private var applyingOutside = false

    /// `options`: the labels and alerting the outside facts are folded with (the log sources' own).
    public init(store: any LedgerStore, options: FileIngest.Options = FileIngest.Options()) {
        self.store = store
        self.options = options
    }

    /// Takes a reload's alerting for the outside facts' folds (reports, stall marks), between batches.
    public func setAlerting(_ alerting: Alerting) {
        options.alerting = alerting
        for fold in outsideFolds.values { fold.alerting = alerting }
    }

    /// `body` is told of every commit from now on, on the writer's thread, after its transaction.
    public func observe(_ body: @escaping (Committed) -> Void) { observers.append(body) }

    /// `body` is told why outside facts could not be committed after a log batch (they are asked for again).
    public func observeFailures(_ body: @escaping (String) -> Void) { failureObservers.append(body) }

    /// A fold for `source`, bound to this writer, with the writer's labels and alerting.
    func makeFold(source: String) throws -> LedgerFold {
        try LedgerFold(
            source: source, writer: self, knownWorkflows: options.profile.knownWorkflows + options.knownWorkflows,
            toolCap: options.toolCap, workflowCap: options.workflowCap, alerting: options.alerting)
    }

    /// Commits one fold's batch and tells the observers. After a log batch no log fold holds an open
    /// batch (each source is read to a commit before the next), so the facts waiting in the inbox go in then.
    func commit(_ batch: LedgerBatch, source: String) throws {
        try store.commit(batch)
        let done = Committed(source: source, changes: batch.rollupDelta)
        for observer in observers { observer(done) }
        guard !applyingOutside else { return }
        // Their failure is not this batch's: it committed. The facts are asked for again (the pollers
        // re-read what the ledger lacks, the stall watch looks again), so the failure is only told.
        do { try applySubmitted() } catch { for observer in failureObservers { observer("\(error)") } }
    }

    /// Folds and commits whatever the inbox holds. Call it on the writer's thread between log batches.
    public func applySubmitted() throws {
        for facts in inbox.take() { try apply(facts) }
    }

    /// Folds and commits `facts` now: runs the ledger does not hold are skipped.
    public func apply(_ facts: OutsideFacts) throws {
        guard !facts.isEmpty else { return }
        applyingOutside = true
        defer { applyingOutside = false }
        let key = facts.foldSource
        let fold: LedgerFold
        if let existing = outsideFolds[key] {
            fold = existing
        } else {
            fold = try makeFold(source: key)
            outsideFolds[key] = fold
        }
        switch facts {
        case .reports(let reports, let source):
            try fold.fold.add(reports: reports, source: source)
        case .stalls(let ids, let atMs):
            for id in ids { try fold.fold.add(.stalled(atMs: atMs), toRun: id) }
        }
        try fold.commit(position: nil)
    }
}

/// Facts handed to the writer from other threads, and a descriptor that becomes readable when some
/// wait (a pipe's read end), so the writer's `poll` wakes for them as it does for a file that grew.
public final class WriterInbox: Sendable {
    private let pending = Mutex<[OutsideFacts]>([])
    /// Readable while facts wait; -1 if no pipe could be made (the writer's timeout picks them up).
    public let wakeDescriptor: Int32
    private let wakeWriter: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        } else {
            fds = [-1, -1]
        }
        wakeDescriptor = fds[0]
        wakeWriter = fds[1]
    }

    deinit {
        for fd in [wakeDescriptor, wakeWriter] where fd >= 0 { close(fd) }
    }

    /// Leaves `facts` for the writer and wakes it. Any thread.
    public func submit(_ facts: OutsideFacts) {
        pending.withLock { $0.append(facts) }
        wake()
    }

    /// Wakes the writer's wait without facts: something else (a reload) waits for it between passes.
    public func wake() {
        guard wakeWriter >= 0 else { return }
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)  // a full pipe already wakes the writer: nothing is lost
    }

    /// Whether anything waits (for tests and the writer's loop).
    public var isEmpty: Bool { pending.withLock { $0.isEmpty } }

    func take() -> [OutsideFacts] {
        if wakeDescriptor >= 0 {
            var drain = [UInt8](repeating: 0, count: 64)
            while read(wakeDescriptor, &drain, drain.count) > 0 {}
        }
        return pending.withLock { facts in
            defer { facts.removeAll() }
            return facts
        }
    }
}
