import Foundation
import RunLedgerCore

/// What the ingest path (`LedgerWriter` and its folds, `FileIngest`, `JournalIngest`, and the readers
/// `ReportPoller` and `StallWatch`) needs of a ledger, and nothing else: a second backend implements this and the ingest
/// types run on it unchanged (issue 14). The SQLite `Ledger` is the first implementation; the reads
/// behind the HTTP API and the commands (run filters, counts, the outbox) stay on `Ledger` for now
/// (docs/ledger-store.md).
///
/// A class protocol: a store is one connection to one shared ledger, not a value to copy. In a process
/// one `LedgerWriter` commits to it; other threads read through stores of their own.
public protocol LedgerStore: AnyObject {
    // MARK: The fold's state

    /// One run by id: what the fold reads on a run's first touch in a batch (nil: the ledger has none).
    func run(_ id: String) throws -> RunRecord?
    /// Every ledger-derived series and its value: the fold's labels start from the ones in use.
    func rollups() throws -> SeriesValues

    // MARK: Sources

    /// The position saved for `source`, with the correlator's state at that point.
    func position(of source: String) throws -> SourcePosition?
    /// Whether a position is saved under `source` (a cheaper `position(of:) != nil`).
    func hasPosition(_ source: String) throws -> Bool
    /// The sources whose saved file identity is on device `device`, inode `inode`, by name: a file read
    /// before under another spelling of its path (`FileIngest.sourceName(for:)`).
    func positionNames(device: UInt64, inode: UInt64) throws -> [String]

    // MARK: Writing

    /// Writes a batch atomically: its runs, unattributed facts, rollup delta, alerts (each dedup key
    /// once, with a delivery per route that accepts it) and position all land, or none does.
    func commit(_ batch: LedgerBatch) throws
    /// A long catch-up read is starting (true) or over (false); a store may size its caches for it.
    func setCatchingUp(_ on: Bool)
    /// `body` is told, on the committing thread, when the ledger stops taking commits because its
    /// database cannot be reached (with why) and when it takes them again. A file never goes away:
    /// only a store with a server tells anything.
    func observeAvailability(_ body: @escaping (LedgerAvailability) -> Void)
}

/// Whether a ledger takes commits.
public enum LedgerAvailability: Sendable, Equatable {
    case up
    case down(String)
}

extension LedgerStore {
    public func hasPosition(_ source: String) throws -> Bool { try position(of: source) != nil }
    public func setCatchingUp(_ on: Bool) {}
    public func observeAvailability(_ body: @escaping (LedgerAvailability) -> Void) {}
}

extension Ledger: LedgerStore {
    /// A larger page cache while it lasts, SQLite's default after (why: `setPageCache`).
    public func setCatchingUp(_ on: Bool) { setPageCache(kib: on ? 32 * 1024 : 2000) }
}
