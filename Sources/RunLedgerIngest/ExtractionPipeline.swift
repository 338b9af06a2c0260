import Foundation
import RunLedgerCore
import RunLedgerSources

/// Reading, line splitting, extraction and correlation on a thread of their own, handing batches of
/// decisions to the thread that folds them into run records and writes the ledger. The two halves cost
/// about the same (BENCHMARKS.md), so a long replay uses both cores. Only what the consumer has
/// processed is ever committed (each line carries the offset after it, and the reader saves the
/// correlator's state after each line a commit follows), so positions still commit with their facts.
/// On an error the ingest is dropped and reopened from the ledger (as `Follower` does), so a
/// correlator that ran ahead of the last commit is never used.
///
/// Unchecked `Sendable`: the reader thread and the writer share the queue, and every shared field is
/// read and written under `cond`; the Synchronization module has no condition variable to wait on.
final class ExtractionPipeline: @unchecked Sendable {
    /// Lines read, extracted and correlated, in file order. Parallel arrays, not an array of tuples:
    /// reading a tuple's member out of an array copied the whole tuple, retaining its parts.
    struct Batch {
        var results: [LineResult] = []
        var problems: [String?] = []
        /// The offset just after each line.
        var ends: [Int64] = []
        /// Line i's decisions are `decisions[decisionEnds[i - 1]..<decisionEnds[i]]`.
        var decisionEnds: [Int] = []
        var decisions: [Attributed] = []
        /// After these lines a commit is due, with the correlator's state as it was after the line.
        var commits: [Int: CorrelatorState] = [:]
        /// How far the file had been read when the batch was handed over (for progress).
        var bytesRead: Int64 = 0

        init(capacity: Int = 0) {
            reserve(capacity)
        }

        mutating func reserve(_ capacity: Int) {
            results.reserveCapacity(capacity)
            problems.reserveCapacity(capacity)
            ends.reserveCapacity(capacity)
            decisionEnds.reserveCapacity(capacity)
            decisions.reserveCapacity(capacity)
        }

        /// Empties the batch for reuse, keeping its arrays' storage.
        mutating func clear() {
            results.removeAll(keepingCapacity: true)
            problems.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            decisionEnds.removeAll(keepingCapacity: true)
            decisions.removeAll(keepingCapacity: true)
            commits.removeAll()
            bytesRead = 0
        }
    }

    private let cond = NSCondition()
    private var queue: [Batch] = []
    /// Lines in `queue`, bounded by `queuedLinesLimit`.
    private var queuedLines = 0
    /// Batches the writer is done with, handed back so that the reader frees their strings and arrays:
    /// it allocated them, and glibc frees memory from another thread's arena slowly (under the arena's
    /// lock, without its thread cache), while a free on the reader refills the cache it allocates from.
    private var spent: [Batch] = []
    private var finished = false
    private var cancelled = false
    private var failure: (any Error)?
    /// How many lines read ahead may wait for the writer. A commit holds the writer for a tenth of a
    /// second or more, and the two halves take turns being the slower one: the slack must outlast a
    /// commit, or the reader stops for every one and the writer starves between them (BENCHMARKS.md).
    private let queuedLinesLimit: Int
    private let done = DispatchSemaphore(value: 0)
    private var splitter: LineSplitter

    /// Starts reading `file` from `offset` with `splitter`'s state, extracting with `extractor` and
    /// correlating with `ingestor`'s correlator, which belongs to the reader thread until `finish`.
    /// A commit is due every `commitLines` lines, the first after `commitLines - sinceCommit`.
    init(
        file: any ByteSource, from offset: Int64, splitter: LineSplitter, extractor: Extractor, ingestor: Ingestor,
        commitLines: Int, sinceCommit: Int, chunkBytes: Int, queuedLines: Int, batchLines: Int = 4096
    ) {
        self.splitter = splitter
        self.queuedLinesLimit = queuedLines
        let handoff = ReaderHandoff(file: file, extractor: extractor, ingestor: ingestor)
        let thread = Thread { [self] in
            produce(
                handoff.file, offset, handoff.extractor, handoff.ingestor, commitLines, sinceCommit, chunkBytes,
                batchLines)
            done.signal()
        }
        thread.name = "runledger-extract"
        thread.start()
    }

    private func produce(
        _ file: any ByteSource, _ start: Int64, _ extractor: Extractor, _ ingestor: Ingestor, _ commitLines: Int,
        _ sinceCommit: Int, _ chunk: Int, _ size: Int
    ) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset = start
        var uncommitted = sinceCommit
        // Small batches first, so that the writer starts (and commits) without waiting for a full one.
        var limit = min(size, 256)
        var batch = Batch(capacity: limit)
        do {
            while !isCancelled {
                let n = try file.read(at: offset, into: buffer)
                if n == 0 { break }
                offset += Int64(n)
                splitter.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { line, end in
                    let x = extractor.extract(line)
                    ingestor.correlate(x, into: &batch.decisions)
                    batch.results.append(x.result)
                    batch.problems.append(x.problem)
                    batch.ends.append(end)
                    batch.decisionEnds.append(batch.decisions.count)
                    uncommitted += 1
                    if uncommitted >= commitLines {
                        batch.commits[batch.ends.count - 1] = ingestor.correlatorState
                        uncommitted = 0
                    }
                    if batch.ends.count >= limit {
                        batch.bytesRead = offset
                        put(batch)
                        limit = min(size, limit * 2)
                        batch = reuse() ?? Batch()
                        batch.reserve(limit)
                    }
                }
            }
            if !batch.ends.isEmpty {
                batch.bytesRead = offset
                put(batch)
            }
        } catch {
            cond.lock()
            failure = error
            cond.unlock()
        }
        cond.lock()
        finished = true
        cond.broadcast()
        cond.unlock()
    }

    private var isCancelled: Bool {
        cond.lock()
        defer { cond.unlock() }
        return cancelled
    }

    private func put(_ batch: Batch) {
        cond.lock()
        while queuedLines >= queuedLinesLimit, !cancelled { cond.wait() }
        if !cancelled {
            queuedLines += batch.ends.count
            queue.append(batch)
        }
        cond.broadcast()
        cond.unlock()
    }

    /// A batch the writer handed back, emptied here (on the reader); nil when there is none.
    private func reuse() -> Batch? {
        cond.lock()
        var batch = spent.popLast()
        cond.unlock()
        batch?.clear()
        return batch
    }

    /// Hands a batch that `next` returned back to the reader, once its lines are applied.
    func recycle(_ batch: consuming Batch) {
        cond.lock()
        if spent.count < 2 { spent.append(batch) }
        cond.unlock()
    }

    /// The next batch, in file order; nil once everything read has been handed out.
    func next() -> Batch? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty, !finished { cond.wait() }
        guard !queue.isEmpty else { return nil }
        cond.broadcast()
        let batch = queue.removeFirst()
        queuedLines -= batch.ends.count
        return batch
    }

    /// Waits for the reader thread to stop (stopping it first when `cancel`), and returns the splitter
    /// as it left it; throws what the reader failed with.
    func finish(cancel: Bool) throws -> LineSplitter {
        if cancel {
            cond.lock()
            cancelled = true
            queue.removeAll()
            queuedLines = 0
            cond.broadcast()
            cond.unlock()
        }
        done.wait()
        if let failure { throw failure }
        return splitter
    }
}

/// What the reader thread takes over until `finish`: the file, its extractor and the ingestor's
/// correlator (the ingestor's fold stays with the writer, which uses only that). Unchecked: the
/// handover is real, but the ingestor is shared in two disjoint halves, which Swift cannot express.
private struct ReaderHandoff: @unchecked Sendable {
    let file: any ByteSource
    let extractor: Extractor
    let ingestor: Ingestor
}
