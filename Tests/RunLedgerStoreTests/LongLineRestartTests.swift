import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// A line over the extractor's 512 KiB is handed out cut and skipped to its newline. The position
/// committed with the cut head lies inside that line; a restart must go on skipping it there.
@Suite struct LongLineRestartTests {
    let run = "aaaaaaaa-0000-4000-8000-00000000000b", db = "dddddddd-0000-4000-8000-00000000000b"

    func line(_ message: String) -> String {
        "2025-06-19 18:00:00,000 - src.agents.claude_code.sdk_executor - INFO - \(message)\n"
    }

    func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try h.close()
    }

    func lines(_ ledger: Ledger) throws -> Int64 {
        try ledger.rollups().filter { $0.key.name == Metrics.lines.name }.values.reduce(0, +)
    }

    /// Reads `log` as one start of the process does: a new ledger connection and reader, resuming
    /// from the saved position. `pipelined` reads on the second thread (a file 8 MiB or more behind).
    func readOnce(_ log: String, _ dbPath: String, pipelined: Bool = false) throws -> Ledger {
        let ledger = try Ledger(path: dbPath)
        var o = utcOptions()
        if pipelined { o.pipelineBytes = 0 }
        let ingest = FileIngest(path: log, sourceName: "log", writer: LedgerWriter(store: ledger), options: o)
        try ingest.open()
        try ingest.readAvailable()
        return ledger
    }

    @Test(arguments: [false, true])
    func aLongLineWhoseEndArrivesAfterARestartIsSkippedNotParsedFromItsMiddle(pipelined: Bool) throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        // A blob line 600 KiB long so far, its end not written yet.
        try append(String(line("blob: ").dropLast()) + String(repeating: "a", count: 600 * 1024), to: log)
        let first = try readOnce(log, dir.file("l.db"), pipelined: pipelined)
        #expect(try lines(first) == 1)  // its head, counted as malformed

        // After a restart the blob ends with what reads, from its middle, as a line starting a run.
        try append(line("Created workflow run record \(db) for run_id \(run)"), to: log)
        try append(line("SDK Executor: Processing 4 collected messages for data extraction"), to: log)
        let second = try readOnce(log, dir.file("l.db"), pipelined: pipelined)
        // Before: the tail was parsed as a line of its own and a run appeared from inside the blob.
        #expect(try second.run(run) == nil)
        #expect(try lines(second) == 2)
    }

    @Test func aPositionAtALineBoundaryIsReadAsBefore() throws {
        let dir = TempDir()
        let log = dir.file("x.log")
        try append(line("blob: " + String(repeating: "a", count: 600 * 1024)), to: log)
        _ = try readOnce(log, dir.file("l.db"))
        try append(line("Created workflow run record \(db) for run_id \(run)"), to: log)
        let second = try readOnce(log, dir.file("l.db"))
        #expect(try second.run(run) != nil)
        #expect(try lines(second) == 2)
    }
}
