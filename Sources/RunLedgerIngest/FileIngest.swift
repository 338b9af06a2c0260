import Foundation
import RunLedgerCore
import RunLedgerSources
import RunLedgerStore

/// Reads one log file into the ledger from its saved position: to the end (`replay`) or following
/// it as it grows (`serve`). Facts and the position commit together, every `batchLines` lines and at
/// the end of what is there, so a kill at any instant loses nothing and counts nothing twice.
public final class FileIngest {
    public struct Options: Sendable {
        public var profile: Profile = .automagik
        public var envelopes = EnvelopeParser()
        /// Lines a transaction: large, because each commit rewrites the runs it touched and their WAL
        /// pages; fewer, larger commits cost less CPU for a few MiB (BENCHMARKS.md, issue 6, step 7).
        public var batchLines = 100_000
        public var chunkBytes = 1 << 20
        /// With at least this much to read, reading and extraction run on a second thread.
        public var pipelineBytes: Int64 = 8 << 20
        /// How many lines that thread may hold ahead of the one that commits (about 160 bytes of
        /// decisions a line: 262,144 lines peak near 40 MiB; BENCHMARKS.md). 0 reads on one thread.
        public var readAheadLines = 262_144
        /// Longer lines are counted as malformed and skipped without being held in memory.
        public var maxLineBytes = 512 * 1024
        /// Following (serve): standard input is read without blocking, as it comes.
        public var following = false
        /// The alerts to raise and the sinks to deliver them to.
        public var alerting = Alerting()
        public var toolCap = 64
        /// Workflow names from log content given their own label; later ones are counted as `other`.
        public var workflowCap = 64
        /// Workflows that always get their own label (the configuration's `workflows`).
        public var knownWorkflows: [String] = []
        public init() {}
    }

    public struct Progress: Sendable {
        public var bytesRead: Int64
        public var totalBytes: Int64
        public var lines: Int64
    }

    public let path: String
    /// The source label (`runledger_lines_total{source=…}`) and the key of the saved position: the
    /// name given, or else the one `sourceName(for:)` finds when the file is opened.
    public private(set) var sourceName: String
    private let nameGiven: Bool
    private let writer: LedgerWriter
    private var store: any LedgerStore { writer.store }
    private var options: Options
    private var file: (any ByteSource)?
    private var ingestor: Ingestor?
    private var splitter = LineSplitter(startOffset: 0)
    private var identity = ""
    private var lines: Int64 = 0
    /// Whether the ledger holds a position for this source (so an empty file is remembered once).
    private var committedOnce = false
    /// A line for the operator when something about the source changed (replaced, truncated).
    public private(set) var notices: [String] = []

    /// The notices not handed out yet; each is handed out once.
    public func takeNotices() -> [String] {
        defer { notices.removeAll() }
        return notices
    }

    public init(path: String, sourceName: String? = nil, writer: LedgerWriter, options: Options = Options()) {
        self.path = path
        self.sourceName = sourceName ?? Self.canonicalName(path)
        nameGiven = sourceName != nil
        self.writer = writer
        self.options = options
    }

    public var lastProblem: String? { ingestor?.lastProblem }

    /// Takes a reload's alerting, for the next commit and for an ingestor made after a reopen.
    public func setAlerting(_ alerting: Alerting) {
        options.alerting = alerting
        ingestor?.alerting = alerting
    }

    /// How far the file has been read: the offset after the last complete line, and lines read.
    public var readPosition: (offset: Int64, lines: Int64) { (splitter.consumed, lines) }

    /// Opens the file and resumes from the saved position when it is the same file. When the file was
    /// rotated while RunLedger was not running, the old file is looked for under another name in the
    /// same directory (`x.log.1`) and its unread tail is read first.
    public func open() throws {
        let f = try openByteSource(path, followingStdin: options.following)
        var start: Int64 = 0
        var state = CorrelatorState()
        lines = 0
        if !nameGiven { sourceName = try Self.sourceName(for: path, file: f, ledger: store) }
        if let saved = try store.position(of: sourceName) {
            // The executor's stream goes on in a rotated or truncated file: keep the correlator's memory
            // (an open burst, id links) either way, as `reopen()` does while following.
            state = saved.correlator
            lines = saved.lines
            let id = FileIdentity(saved.identity)
            if let id, f.matches(id), !f.followsByName || f.size >= saved.offset {
                start = saved.offset
            } else if let id, f.followsByName, let rotated = Self.findRotated(id, near: path) {
                // The rest of the file read before, then any rotated after it (several rotations while
                // RunLedger was down), oldest first, then the current file from its start.
                let current = f.identity(fingerprintLength: 0)
                var drained: [String] = []
                var next: (file: FileSource, offset: Int64)? = (rotated, saved.offset)
                while let (file, offset) = next {
                    try begin(file, at: offset, correlator: state)
                    try readAvailable()
                    state = ingestor?.correlatorState ?? state
                    drained.append(file.path)
                    next = Self.rotatedAfter(file, near: path, excluding: current).map { ($0, 0) }
                }
                notices.append(
                    "\(path): rotated while not followed; read the rest of \(drained.joined(separator: ", ")) first")
            } else {
                notices.append("\(path): not the file read before (replaced or truncated); reading it from the start")
            }
            committedOnce = true
        }
        try begin(f, at: start, correlator: state)
        if !committedOnce, f.followsByName, let ingestor {
            // Remember the file before reading it: if it is rotated before the first batch commits (a
            // kill, a slow start), the next start finds it by its inode instead of skipping it.
            try ingestor.commit(identity: identity, offset: start, lines: lines)
            committedOnce = true
        }
    }

    /// The file in `path`'s directory that is the one `saved` names (same device, inode and first bytes).
    static func findRotated(_ saved: FileIdentity, near path: String) -> FileSource? {
        for (candidate, st) in regularFiles(besides: path) {
            guard UInt64(st.st_ino) == saved.inode, UInt64(st.st_dev) == saved.device,
                let f = try? FileSource(path: candidate), f.matches(saved)
            else { continue }
            return f
        }
        return nil
    }

    /// The rotated sibling of `path` (`x.log.2`, `x.log-20251126`; not `.gz`) written next after `file`:
    /// the one with the earliest modification time after `file`'s. A rename keeps the modification
    /// time, so this orders the files as the executor wrote them, whatever logrotate named them.
    static func rotatedAfter(_ file: FileSource, near path: String, excluding current: FileIdentity) -> FileSource? {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let after = file.modificationTimeNs
        let own = file.identity(fingerprintLength: 0)
        var best: (mtime: Int64, path: String)?
        for (candidate, st) in regularFiles(besides: path) {
            let name = candidate.split(separator: "/").last.map(String.init) ?? candidate
            guard name.hasPrefix(base + ".") || name.hasPrefix(base + "-"), !name.hasSuffix(".gz") else { continue }
            let ino = UInt64(st.st_ino)
            guard ino != own.inode, ino != current.inode else { continue }
            let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            guard mtime >= after else { continue }
            if best == nil || (mtime, candidate) < (best!.mtime, best!.path) { best = (mtime, candidate) }
        }
        return best.flatMap { try? FileSource(path: $0.path) }
    }

    /// The regular files in `path`'s directory, by name, with what `stat` says of them.
    private static func regularFiles(besides path: String) -> [(path: String, stat: stat)] {
        let dir = directory(of: path)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.sorted().compactMap { name in
            let candidate = (dir == "/" ? "" : dir) + "/" + name
            var st = stat()
            guard stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            return (candidate, st)
        }
    }

    private func begin(_ f: any ByteSource, at offset: Int64, correlator state: CorrelatorState) throws {
        file = f
        identity = f.identity(fingerprintLength: nil).description
        // Resuming inside a long line cut before a restart: skip its rest, never parse it from its middle.
        splitter = LineSplitter(
            startOffset: offset, maxLine: options.maxLineBytes, insideLine: LineSplitter.isInsideLine(f, at: offset))
        ingestor = try Ingestor(
            source: sourceName, writer: writer, profile: options.profile, envelopes: options.envelopes,
            maxLineBytes: options.maxLineBytes, correlator: state, fileRun: Self.runId(inFileName: path),
            toolCap: options.toolCap, workflowCap: options.workflowCap,
            knownWorkflows: options.knownWorkflows, alerting: options.alerting)
    }

    /// Reads what the file holds now, committing as it goes. `shouldStop` is asked between chunks and
    /// between the read-ahead thread's batches: a stop commits what was read up to the last whole line
    /// when it can (reading on one thread), or else drops what was folded since the last commit (the
    /// read-ahead thread's correlator ran ahead), which the next start reads again. Either way the
    /// saved position is exact, and a stopped ingest is closed.
    public func readAvailable(progress: ((Progress) -> Void)? = nil, until shouldStop: () -> Bool = { false }) throws {
        guard let file, let ingestor else { throw SourceError("\(path): not open") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: options.chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        var offset = splitter.consumed + Int64(splitter.pending)
        let total = file.size
        if total - offset >= options.pipelineBytes, options.readAheadLines > 0 {
            guard try readPipelined(file, ingestor, from: offset, total: total, progress: progress, until: shouldStop)
            else {
                self.ingestor = nil
                self.file = nil
                return
            }
            offset = splitter.consumed + Int64(splitter.pending)
        }
        while !shouldStop() {
            let n = try file.read(at: offset, into: buffer)
            if n == 0 { break }
            offset += Int64(n)
            try splitter.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { line, end in
                lines += 1
                try ingestor.process(line, lineNumber: lines)
                if ingestor.linesSinceCommit >= options.batchLines {
                    try ingestor.commit(identity: identity, offset: end, lines: lines)
                    committedOnce = true
                }
            }
            progress?(Progress(bytesRead: offset, totalBytes: max(total, offset), lines: lines))
        }
        // The end of what is there: commit the rest. (Committing after every chunk as well made a
        // transaction every ~6,000 lines, whatever `batchLines` said; see BENCHMARKS.md.)
        if ingestor.linesSinceCommit > 0 {
            try ingestor.commit(identity: identity, offset: splitter.consumed, lines: lines)
            committedOnce = true
        }
        if !committedOnce {
            // An empty file: remember it, so that `serve` knows where it stands.
            try ingestor.commit(identity: identity, offset: splitter.consumed, lines: lines)
            committedOnce = true
        }
    }

    /// Reads on from `offset` with extraction and correlation on a second thread (`ExtractionPipeline`),
    /// folding and committing here as `readAvailable` does (every `batchLines` lines, with the correlator
    /// state the reader saved after that line); returns with the splitter where the reader left it, or
    /// false when `shouldStop` said so first (the lines folded since the last commit are then dropped).
    private func readPipelined(
        _ file: any ByteSource, _ ingestor: Ingestor, from offset: Int64, total: Int64,
        progress: ((Progress) -> Void)?, until shouldStop: () -> Bool
    ) throws -> Bool {
        let pipeline = ExtractionPipeline(
            file: file, from: offset, splitter: splitter, extractor: try ingestor.makeExtractor(), ingestor: ingestor,
            commitLines: options.batchLines, sinceCommit: ingestor.linesSinceCommit, chunkBytes: options.chunkBytes,
            queuedLines: options.readAheadLines)
        var processed = splitter.consumed
        store.setCatchingUp(true)
        defer { store.setCatchingUp(false) }
        do {
            while let batch = pipeline.next() {
                if shouldStop() {
                    _ = try? pipeline.finish(cancel: true)
                    return false
                }
                var first = 0
                for i in batch.ends.indices {
                    let end = batch.ends[i]
                    lines += 1
                    processed = end
                    let stop = batch.decisionEnds[i]
                    try ingestor.apply(
                        batch.results[i], problem: batch.problems[i], decisions: batch.decisions[first..<stop],
                        lineNumber: lines)
                    first = stop
                    if !batch.commits.isEmpty, let state = batch.commits[i] {
                        try ingestor.commit(identity: identity, offset: end, lines: lines, correlator: state)
                        committedOnce = true
                    }
                }
                progress?(Progress(bytesRead: batch.bytesRead, totalBytes: max(total, batch.bytesRead), lines: lines))
                pipeline.recycle(batch)
            }
        } catch {
            // Lines extracted ahead are dropped: the next read starts after the last line processed.
            _ = try? pipeline.finish(cancel: true)
            splitter = LineSplitter(
                startOffset: processed, maxLine: options.maxLineBytes,
                insideLine: LineSplitter.isInsideLine(file, at: processed))
            throw error
        }
        splitter = try pipeline.finish(cancel: false)
        return true
    }

    /// The run id in a per-run log's name (`logs/run_{run_id}.log`, `.jsonl` too), if it has one.
    static func runId(inFileName path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard name.hasPrefix("run_") else { return nil }
        var id = name.dropFirst(4)
        for ext in [".log", ".jsonl"] where id.hasSuffix(ext) { id = id.dropLast(ext.count) }
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            name.hasSuffix(".log") || name.hasSuffix(".jsonl")
        else { return nil }
        return String(id)
    }

    /// A stream that has ended for good (stdin closed): nothing more will come.
    public var ended: Bool { file?.ended ?? false }

    /// Bytes in the open file past what has been read (0 once caught up).
    public var lagBytes: Int64 { max(0, (file?.size ?? 0) - splitter.consumed - Int64(splitter.pending)) }

    /// Whether the file at `path` is no longer the one open (rotated or truncated): reopen then.
    public func needsReopen() -> Bool {
        guard let file else { return true }
        guard file.followsByName else { return false }
        if file.size < splitter.consumed { return true }
        // Truncated and written again past our offset before we looked: the first bytes changed.
        if let opened = FileIdentity(identity), !file.matches(opened) { return true }
        guard let current = try? FileSource(path: path) else { return false }
        let a = current.identity(fingerprintLength: 0), b = file.identity(fingerprintLength: 0)
        return a.device != b.device || a.inode != b.inode
    }

    /// After a rotation: drain the old file, then read the new one from its beginning. After a
    /// truncation the open file holds new content, so there is nothing old to drain.
    public func reopen() throws {
        let replacement = try FileSource(path: path)
        let old = file?.identity(fingerprintLength: 0), new = replacement.identity(fingerprintLength: 0)
        let renamed = old.map { $0.device != new.device || $0.inode != new.inode } ?? true
        if renamed, file != nil { try readAvailable() }
        try begin(replacement, at: 0, correlator: ingestor?.correlatorState ?? CorrelatorState())
        notices.append(
            renamed ? "\(path): replaced; reading the new file" : "\(path): truncated; reading from the start")
        try readAvailable()
    }
}
