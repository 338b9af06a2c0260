import RunLedgerCore
import RunLedgerSources
import RunLedgerStore

/// Reads journal entries into the ledger, committing the journal cursor with the facts read up to it.
/// On first start it begins at the end of the journal (`serve`) or its beginning (`replay`); after
/// that it resumes after the saved cursor. If the journal no longer holds that entry (vacuumed), it
/// says so and reads from the oldest entry written after it, with an estimate of what was lost —
/// never a silent restart from zero.
public final class JournalIngest {
    public enum Start: String, Sendable { case beginning, end }

    public let selection: JournalSelection
    public var sourceName: String { selection.name }
    private let writer: LedgerWriter
    private var options: FileIngest.Options
    private let start: Start
    private var journal: JournalSource?
    private var ingestor: Ingestor?
    private var entries: Int64 = 0
    private var lines: Int64 = 0
    /// Entries at or before this time were read before (used only after a lost cursor).
    private var skipThroughUs: UInt64?
    private var cursor: String?
    public private(set) var notices: [String] = []

    public init(selection: JournalSelection, writer: LedgerWriter, options: FileIngest.Options, start: Start) {
        self.selection = selection
        self.writer = writer
        self.options = options
        self.start = start
    }

    public var lastProblem: String? { ingestor?.lastProblem }

    /// Takes a reload's alerting, for the next commit and for an ingestor made after a reopen.
    public func setAlerting(_ alerting: Alerting) {
        options.alerting = alerting
        ingestor?.alerting = alerting
    }
    public var readPosition: (entries: Int64, lines: Int64) { (entries, lines) }
    public var wakeup: (fd: Int32, events: Int16)? { journal?.wakeup }

    public func takeNotices() -> [String] {
        defer { notices.removeAll() }
        return notices
    }

    public func open() throws {
        let j = try JournalSource(selection, maxMessageBytes: options.maxLineBytes)
        var state = CorrelatorState()
        if let saved = try writer.store.position(of: sourceName) {
            state = saved.correlator
            entries = saved.offset
            lines = saved.lines
            cursor = saved.identity
            if !j.seek(cursor: saved.identity) {
                let was = JournalCursorFields(saved.identity)
                j.seekHead()
                skipThroughUs = was.realtimeUs
                var lost = "an unknown number of entries"
                if let first = try j.next(), let firstCursor = j.cursor() {
                    let now = JournalCursorFields(firstCursor)
                    if now.seqnumID == was.seqnumID, let a = was.seqnum, let b = now.seqnum, b > a {
                        lost = "about \(b - a - 1) entries"
                    }
                    _ = first
                }
                j.seekHead()
                notices.append(
                    "\(sourceName): the saved journal cursor is no longer in the journal; reading from the oldest entry"
                        + " after it (\(lost) may have been lost)")
            }
        } else if start == .end {
            j.seekTail()
        } else {
            j.seekHead()
        }
        journal = j
        ingestor = try Ingestor(
            source: sourceName, writer: writer, profile: options.profile, envelopes: options.envelopes,
            maxLineBytes: options.maxLineBytes, correlator: state, toolCap: options.toolCap,
            workflowCap: options.workflowCap,
            knownWorkflows: options.knownWorkflows, alerting: options.alerting)
    }

    /// Reads every entry there is now, committing every `batchLines` lines and at the end.
    /// `shouldStop` is asked every 1,024 entries; a stop commits what was read (its cursor is exact).
    public func readAvailable(until shouldStop: () -> Bool = { false }) throws {
        guard let journal, let ingestor else { throw SourceError("\(sourceName): not open") }
        journal.processChanges()
        while entries & 1023 != 0 || !shouldStop(), let entry = try journal.next() {
            if let limit = skipThroughUs {
                if entry.realtimeUs <= limit { continue }
                skipThroughUs = nil
            }
            entries += 1
            let timeMs = Int64(entry.realtimeUs / 1000)
            // journald keeps one line per entry, but a message sent with newlines holds several.
            var start = 0
            let m = entry.message
            for i in 0...m.count where i == m.count || m[i] == 0x0A {
                if i > start || (i == m.count && start == 0) {
                    lines += 1
                    try ingestor.process(
                        UnsafeBufferPointer(rebasing: m[start..<i]), lineNumber: lines, fallbackTimeMs: timeMs)
                }
                start = i + 1
            }
            if ingestor.linesSinceCommit >= options.batchLines {
                try commit(journal, ingestor)
            }
        }
        if ingestor.linesSinceCommit > 0 || cursor == nil {
            try commit(journal, ingestor)
        }
    }

    private func commit(_ journal: JournalSource, _ ingestor: Ingestor) throws {
        guard let c = journal.cursor() ?? cursor else { return }  // an empty journal: nothing to remember
        cursor = c
        try ingestor.commit(identity: c, offset: entries, lines: lines)
    }
}
