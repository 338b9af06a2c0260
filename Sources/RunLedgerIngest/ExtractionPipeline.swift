import Foundation
import RunLedgerCore
import RunLedgerSources

/// Reading, line splitting and extraction on a thread of their own, handing batches of extracted
/// lines to the thread that correlates them and writes the ledger. The two halves cost about the same
/// (BENCHMARKS.md), so a long replay uses both cores. Only what the consumer has processed is ever
/// committed (each line carries the offset after it), so positions still commit with their facts.
final class ExtractionPipeline: @unchecked Sendable {
    struct Batch {
        /// Parallel arrays, not an array of tuples: reading a tuple's member out of an array copied the
        /// whole tuple, retaining and releasing the extraction's parts.
        var extractions: [Extraction] = []
        /// The offset just after each line.
        var ends: [Int64] = []
        /// How far the file had been read when the batch was handed over (for progress).
        var bytesRead: Int64 = 0
    }

    private let cond = NSCondition()
    private var queue: [Batch] = []
    private var finished = false
    private var cancelled = false
    private var failure: (any Error)?
    private let capacity: Int
    private let done = DispatchSemaphore(value: 0)
    private var splitter: LineSplitter

    /// Starts reading `file` from `offset` with `splitter`'s state, extracting with `extractor`.
    init(
        file: any ByteSource, from offset: Int64, splitter: LineSplitter, extractor: Extractor, chunkBytes: Int,
        batchLines: Int = 4096, capacity: Int = 8
    ) {
        self.splitter = splitter
        self.capacity = capacity
        let thread = Thread { [self] in
            produce(file, offset, extractor, chunkBytes, batchLines)
            done.signal()
        }
        thread.name = "runledger-extract"
        thread.start()
    }

    private func produce(_ file: any ByteSource, _ start: Int64, _ extractor: Extractor, _ chunk: Int, _ size: Int) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset = start
        var batch = Batch()
        batch.extractions.reserveCapacity(size)
        batch.ends.reserveCapacity(size)
        do {
            while !isCancelled {
                let n = try file.read(at: offset, into: buffer)
                if n == 0 { break }
                offset += Int64(n)
                splitter.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { line, end in
                    batch.extractions.append(extractor.extract(line))
                    batch.ends.append(end)
                    if batch.ends.count >= size {
                        batch.bytesRead = offset
                        put(batch)
                        batch = Batch()
                        batch.extractions.reserveCapacity(size)
                        batch.ends.reserveCapacity(size)
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
        while queue.count >= capacity, !cancelled { cond.wait() }
        if !cancelled { queue.append(batch) }
        cond.broadcast()
        cond.unlock()
    }

    /// The next batch, in file order; nil once everything read has been handed out.
    func next() -> Batch? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty, !finished { cond.wait() }
        guard !queue.isEmpty else { return nil }
        cond.broadcast()
        return queue.removeFirst()
    }

    /// Waits for the reader thread to stop (stopping it first when `cancel`), and returns the splitter
    /// as it left it; throws what the reader failed with.
    func finish(cancel: Bool) throws -> LineSplitter {
        if cancel {
            cond.lock()
            cancelled = true
            queue.removeAll()
            cond.broadcast()
            cond.unlock()
        }
        done.wait()
        if let failure { throw failure }
        return splitter
    }
}
