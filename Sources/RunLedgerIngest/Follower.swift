import Foundation
import RunLedgerCore
import RunLedgerSources
import RunLedgerStore

#if canImport(Glibc)
    import Glibc
#endif

/// What the follower tells the world after each pass over a source.
public struct SourceUpdate: Sendable {
    public var source: String
    public var up: Bool
    public var offset: Int64 = 0
    public var lines: Int64 = 0
    public var lagBytes: Int64 = 0
    /// Why the source is down, when it is.
    public var detail: String?
    public var lastProblem: String?
    /// Something the operator should read once (a file was replaced, truncated, …).
    public var notices: [String] = []
    /// Set when a reload added the source to those followed, or took it away (its rows stay).
    public var membership: Membership?

    public enum Membership: Sendable { case added, removed }
}

/// A new set of sources and alerting for the follower, from a reload: applied between two passes.
public struct SourceChange: Sendable {
    public var patterns: [String]
    public var journals: [JournalSelection]
    public var journalStart: JournalIngest.Start
    public var alerting: Alerting

    public init(
        patterns: [String], journals: [JournalSelection], journalStart: JournalIngest.Start, alerting: Alerting
    ) {
        self.patterns = patterns
        self.journals = journals
        self.journalStart = journalStart
        self.alerting = alerting
    }
}

/// Follows files like `tail -F`, and journals through sd-journal: by name, across rename rotation (the old file is drained before the
/// new one is read), copytruncate, deletion and re-creation; glob patterns pick up new files as they
/// appear. Wakes on inotify events, and at least every `fallbackMs` in case none arrive.
public final class Follower {
    private var patterns: [String]
    private var journalSelections: [JournalSelection]
    private var journalStart: JournalIngest.Start
    private let writer: LedgerWriter
    private var options: FileIngest.Options
    private let waiter = ChangeWaiter()
    private var files: [String: FileIngest] = [:]
    /// Which path reads each source name, and the paths that are another spelling of one already read
    /// (`x.log` and `./x.log`, a symlink and its target), with the path that reads it: each file is read
    /// by one ingest, once.
    private var owners: [String: String] = [:]
    private var duplicates: [String: String] = [:]
    private var journals: [String: JournalIngest] = [:]
    private var reportedErrors: [String: String] = [:]
    /// journald writes its files through mmap, which raises no inotify event, so journals are
    /// picked up by this poll; files are usually picked up at once through inotify.
    public var fallbackMs: Int32 = 100
    /// Where a reload leaves a new source set; the loop takes it between passes (`run`).
    public let changes = Handoff<SourceChange>()
    /// What the last reconfiguration added and removed, told at the start of the next pass.
    private var membershipUpdates: [SourceUpdate] = []

    public init(
        patterns: [String], journals: [JournalSelection] = [], journalStart: JournalIngest.Start = .end,
        writer: LedgerWriter, options: FileIngest.Options
    ) {
        self.patterns = patterns
        self.journalSelections = journals
        self.journalStart = journalStart
        self.writer = writer
        self.options = options
    }

    /// The sources to report on: every plain path (even missing), each file a pattern matches, each
    /// journal; files by the name their lines are counted under (`FileIngest.sourceName(for:)`).
    public var sourceNames: [String] {
        var names: [String] = []
        for p in patterns {
            for path in expandGlob(p) {
                let name = label(path)
                if !names.contains(name) { names.append(name) }
            }
        }
        return names + journalSelections.map(\.name)
    }

    private func label(_ path: String) -> String {
        files[path]?.sourceName ?? (try? FileIngest.sourceName(for: path, ledger: writer.store))
            ?? FileIngest.canonicalName(path)
    }

    /// Reads every source once; `report` gets one update per source. `shouldStop` is asked between
    /// sources and inside long reads (`FileIngest.readAvailable`): a stop ends the pass within a batch.
    public func pass(_ report: (SourceUpdate) -> Void, until shouldStop: @escaping () -> Bool = { false }) {
        self.shouldStop = shouldStop
        defer { self.shouldStop = { false } }
        for u in membershipUpdates { report(u) }
        membershipUpdates.removeAll()
        for p in patterns {
            for path in expandGlob(p) where !shouldStop() {
                if path == "-" {
                    if !stdinEnded, let u = passStdin() { report(u) }
                    continue
                }
                waiter.watch(directory: directory(of: path))
                if let u = pass(path) { report(u) }
            }
        }
        for selection in journalSelections where !shouldStop() { report(pass(selection)) }
    }

    /// Asked inside a pass's long reads (`pass(_:until:)`).
    private var shouldStop: () -> Bool = { false }

    /// Passes until `shouldStop` says so, sleeping between passes until something changes (a source,
    /// or facts left in the writer's inbox). `outsideFailure` gets why those facts could not be committed.
    /// `heartbeat` proves the loop alive (a service manager's watchdog): it is called inside a pass, as often
    /// as the stop is asked (so a long backlog read still beats), with false, and after each pass, with true
    /// (every source opened and read to where it ends).
    public func run(
        until shouldStop: @escaping () -> Bool, _ report: (SourceUpdate) -> Void,
        outsideFailure: (String) -> Void = { _ in }, heartbeat: @escaping (_ passEnded: Bool) -> Void = { _ in }
    ) {
        while !shouldStop() {
            if let change = changes.take() { reconfigure(change) }
            pass(report) {
                heartbeat(false)
                return shouldStop()
            }
            do { try writer.applySubmitted() } catch { outsideFailure("\(error)") }
            heartbeat(true)
            var extra = journals.values.compactMap(\.wakeup)
            extra.append((writer.inbox.wakeDescriptor, Int16(POLLIN)))
            if patterns.contains("-"), !stdinEnded { extra.append((0, Int16(POLLIN))) }
            waiter.wait(timeoutMs: fallbackMs, extra: extra)
        }
    }

    /// Follows `change`'s sources from the next pass: a source kept keeps its reader (its position, an
    /// open burst, a rotation under way); one removed is dropped after its last commit (every pass ends
    /// on one), its rows and saved position kept; one added starts as at startup, from its saved
    /// position or the start rule. Call it between passes, on the follower's thread.
    public func reconfigure(_ change: SourceChange) {
        let before = sourceNames
        let wanted = Set(change.patterns.flatMap(expandGlob))
        for path in Array(files.keys) where !wanted.contains(path) { files[path] = nil }
        owners = owners.filter { files[$0.value] != nil }
        duplicates = duplicates.filter { wanted.contains($0.key) && files[$0.value] != nil }
        let names = Set(change.journals.map(\.name))
        for name in Array(journals.keys) where !names.contains(name) { journals[name] = nil }
        patterns = change.patterns
        journalSelections = change.journals
        journalStart = change.journalStart
        options.alerting = change.alerting
        writer.setAlerting(change.alerting)
        for ingest in files.values { ingest.setAlerting(change.alerting) }
        for ingest in journals.values { ingest.setAlerting(change.alerting) }
        let after = sourceNames
        for name in before where !after.contains(name) {
            reportedErrors[name] = nil
            membershipUpdates.append(
                SourceUpdate(
                    source: name, up: false, detail: "no longer followed",
                    notices: ["\(name): no longer followed (not in the reloaded config); its runs stay"],
                    membership: .removed))
        }
        for name in after where !before.contains(name) {
            membershipUpdates.append(SourceUpdate(source: name, up: false, detail: "added", membership: .added))
        }
    }

    private func pass(_ selection: JournalSelection) -> SourceUpdate {
        let name = selection.name
        do {
            let ingest: JournalIngest
            if let existing = journals[name] {
                ingest = existing
            } else {
                ingest = JournalIngest(selection: selection, writer: writer, options: options, start: journalStart)
                try ingest.open()
                journals[name] = ingest
            }
            try ingest.readAvailable(until: shouldStop)
            reportedErrors[name] = nil
            let (entries, lines) = ingest.readPosition
            return SourceUpdate(
                source: name, up: true, offset: entries, lines: lines, lagBytes: 0, detail: nil,
                lastProblem: ingest.lastProblem, notices: ingest.takeNotices())
        } catch {
            journals[name] = nil
            return failed(name, error)
        }
    }

    private var stdinEnded = false

    private func passStdin() -> SourceUpdate? {
        guard var u = pass("-") else { return nil }
        if let ingest = files["-"], ingest.ended {
            stdinEnded = true
            u.up = false
            u.detail = "stdin ended"
            u.notices.append("stdin ended; the other sources are still followed")
        }
        return u
    }

    private func failed(_ name: String, _ error: any Error) -> SourceUpdate {
        let text = "\(error)"
        let first = reportedErrors[name] != text
        reportedErrors[name] = text
        return SourceUpdate(
            source: name, up: false, detail: text, notices: first ? [text] : [])
    }

    /// Nil for a path that is another spelling of a file already followed (said once).
    private func pass(_ path: String) -> SourceUpdate? {
        if duplicates[path] != nil { return nil }
        do {
            let ingest: FileIngest
            if let existing = files[path] {
                ingest = existing
            } else {
                ingest = FileIngest(path: path, writer: writer, options: options)
                try ingest.open()
                if let owner = owners[ingest.sourceName], owner != path, let reader = files[owner] {
                    // Said once, with the state of the ingest that reads it (the source is one and up).
                    duplicates[path] = owner
                    let (offset, lines) = reader.readPosition
                    return SourceUpdate(
                        source: reader.sourceName, up: true, offset: offset, lines: lines, lagBytes: reader.lagBytes,
                        lastProblem: reader.lastProblem, notices: ["\(path): the same file as \(owner); read once"])
                }
                owners[ingest.sourceName] = path
                files[path] = ingest
            }
            if ingest.needsReopen() { try ingest.reopen() } else { try ingest.readAvailable(until: shouldStop) }
            let (offset, lines) = ingest.readPosition
            reportedErrors[ingest.sourceName] = nil
            let notices = ingest.takeNotices()
            return SourceUpdate(
                source: ingest.sourceName, up: true, offset: offset, lines: lines, lagBytes: ingest.lagBytes,
                detail: nil,
                lastProblem: ingest.lastProblem, notices: notices)
        } catch {
            let name = label(path)
            files[path] = nil
            return failed(name, error)
        }
    }
}
