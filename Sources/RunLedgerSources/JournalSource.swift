import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// Which journal entries to read, and from where: the local journal, directories or files, filtered
/// by unit, identifier or any FIELD=VALUE. Matches on the same field are alternatives (OR); matches
/// on different fields must all hold (AND), as with journalctl.
public struct JournalSelection: Sendable, Equatable {
    public var units: [String] = []
    public var identifiers: [String] = []
    public var matches: [String] = []
    public var directories: [String] = []
    public var files: [String] = []

    public init() {}

    public var isEmpty: Bool {
        units.isEmpty && identifiers.isEmpty && matches.isEmpty && directories.isEmpty && files.isEmpty
    }

    /// The source's name on metrics and in the ledger's positions: `journal` plus what selects it.
    public var name: String {
        var parts: [String] = []
        parts += directories.map { "dir=\($0)" }
        parts += files.map { "file=\($0)" }
        parts += units.map { "unit=\($0)" }
        parts += identifiers.map { "identifier=\($0)" }
        parts += matches
        return parts.isEmpty ? "journal" : "journal:" + parts.joined(separator: ",")
    }

    var matchStrings: [String] {
        units.map { "_SYSTEMD_UNIT=" + ($0.contains(".") ? $0 : $0 + ".service") }
            + identifiers.map { "SYSLOG_IDENTIFIER=" + $0 } + matches
    }
}

/// One journal entry's message (as bytes: journald stores messages with ANSI codes as binary) and time.
public struct JournalEntry {
    public var message: UnsafeBufferPointer<UInt8>
    public var realtimeUs: UInt64
}

/// Reads the journal through libsystemd's sd-journal (never by spawning journalctl). Not thread-safe.
public final class JournalSource {
    public let selection: JournalSelection
    private var j: OpaquePointer?

    public init(_ selection: JournalSelection, maxMessageBytes: Int) throws {
        self.selection = selection
        var handle: OpaquePointer?
        var rc: Int32
        if !selection.files.isEmpty {
            var paths: [UnsafePointer<CChar>?] = selection.files.map { UnsafePointer(strdup($0)) }
            paths.append(nil)
            defer { for p in paths { free(UnsafeMutablePointer(mutating: p)) } }
            rc = paths.withUnsafeMutableBufferPointer { sd_journal_open_files(&handle, $0.baseAddress, 0) }
        } else if let dir = selection.directories.first {
            rc = sd_journal_open_directory(&handle, dir, 0)
        } else {
            rc = sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        }
        guard rc >= 0, let handle else {
            throw SourceError("\(selection.name): cannot open the journal: \(String(cString: strerror(-rc)))")
        }
        j = handle
        for match in selection.matchStrings {
            let r = match.withCString { sd_journal_add_match(handle, $0, 0) }
            guard r >= 0 else {
                throw SourceError("\(selection.name): bad journal match \"\(match)\": \(String(cString: strerror(-r)))")
            }
        }
        sd_journal_set_data_threshold(handle, max(65536, maxMessageBytes + 16))
    }

    deinit { if let j { sd_journal_close(j) } }

    public func seekHead() { sd_journal_seek_head(j) }

    /// Positions after the last entry, so that `next()` returns only entries written from now on.
    public func seekTail() {
        sd_journal_seek_tail(j)
        sd_journal_previous(j)
    }

    /// Positions at the entry `cursor` names; false when the journal no longer holds it.
    public func seek(cursor: String) -> Bool {
        guard sd_journal_seek_cursor(j, cursor) >= 0, sd_journal_next(j) > 0 else { return false }
        return sd_journal_test_cursor(j, cursor) > 0
    }

    /// Moves to the next entry; nil at the end. The message bytes stay valid until the next call.
    public func next() throws -> JournalEntry? {
        let r = sd_journal_next(j)
        guard r > 0 else {
            if r < 0 { throw SourceError("\(selection.name): reading the journal: \(String(cString: strerror(-r)))") }
            return nil
        }
        var usec: UInt64 = 0
        sd_journal_get_realtime_usec(j, &usec)
        var data: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(j, "MESSAGE", &data, &length) >= 0, let data, length >= 8 else {
            return JournalEntry(message: UnsafeBufferPointer(start: nil, count: 0), realtimeUs: usec)
        }
        let bytes = data.assumingMemoryBound(to: UInt8.self) + 8  // skip "MESSAGE="
        return JournalEntry(message: UnsafeBufferPointer(start: bytes, count: length - 8), realtimeUs: usec)
    }

    /// The current entry's cursor (for the ledger's position).
    public func cursor() -> String? {
        var c: UnsafeMutablePointer<CChar>?
        guard sd_journal_get_cursor(j, &c) >= 0, let c else { return nil }
        defer { free(c) }
        return String(cString: c)
    }

    /// The descriptor and poll events that signal new entries (for `ChangeWaiter`).
    public var wakeup: (fd: Int32, events: Int16) {
        (sd_journal_get_fd(j), Int16(truncatingIfNeeded: sd_journal_get_events(j)))
    }

    /// Lets sd-journal notice new and rotated journal files after a wake-up.
    public func processChanges() { sd_journal_process(j) }
}

/// The parts of a journal cursor that say where an entry stands (`s=` seqnum id, `i=` seqnum,
/// `t=` realtime), for deciding what may have been lost when a saved cursor is gone.
public struct JournalCursorFields: Sendable {
    public var seqnumID: String?
    public var seqnum: UInt64?
    public var realtimeUs: UInt64?

    public init(_ cursor: String) {
        for part in cursor.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "s": seqnumID = String(kv[1])
            case "i": seqnum = UInt64(kv[1], radix: 16)
            case "t": realtimeUs = UInt64(kv[1], radix: 16)
            default: break
            }
        }
    }
}
