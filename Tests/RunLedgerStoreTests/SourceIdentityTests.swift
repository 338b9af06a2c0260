import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerIngest
@testable import RunLedgerStore

/// A source is the file, not the spelling of its path: reading one file again under another spelling
/// (`dir/./x.log`, `dir/sub/../x.log`, a symlinked directory, a symlink to the file) reads nothing
/// twice, and its lines stay counted under one `source` label.
@Suite struct SourceIdentityTests {
    /// The shared sample in a directory of its own, with a subdirectory and symlinks to reach it by.
    func sample() throws -> (dir: TempDir, log: String, spellings: [String]) {
        let dir = TempDir()
        let log = dir.file("x.log")
        try FileManager.default.copyItem(atPath: Fixture.sampleLog, toPath: log)
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("linked-dir"), withDestinationPath: dir.path)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.log"), withDestinationPath: log)
        let spellings = [
            dir.path + "/./x.log", dir.path + "/sub/../x.log", dir.file("linked-dir") + "/x.log", dir.file("link.log"),
        ]
        return (dir, log, spellings)
    }

    func readOnce(_ path: String, _ ledger: any LedgerStore) throws {
        let ingest = FileIngest(path: path, writer: LedgerWriter(store: ledger), options: utcOptions())
        try ingest.open()
        try ingest.readAvailable()
    }

    @Test(arguments: StoreKind.allCases)
    func replayUnderAnotherSpellingReadsNothingTwice(store: StoreKind) throws {
        let (dir, log, spellings) = try sample()
        let once = try Ledger(path: dir.file("once.db"))
        try readOnce(log, once)
        let ledger = try store.make(dir.file("l.db"))
        for path in [log] + spellings { try readOnce(path, ledger) }
        let (runs, rollups) = try snapshot(ledger)
        let expected = try snapshot(once)
        #expect(runs == expected.runs)
        // Rollups hold runledger_lines_total by source: one label, 918 lines, as after one pass.
        #expect(rollups == expected.rollups)
        let lines = rollups.filter { $0.key.hasPrefix(Metrics.lines.name) }
        #expect(lines.values.reduce(0, +) == 918)
        #expect(lines.keys.allSatisfy { $0.contains(log) })
        #expect(try store.sources(ledger) == [log])
    }

    @Test(arguments: StoreKind.allCases)
    func aSymlinkFollowedBesideItsTargetIsReadOnce(store: StoreKind) throws {
        let (dir, log, spellings) = try sample()
        let ledger = try store.make(dir.file("l.db"))
        let follower = Follower(patterns: [log] + spellings, writer: LedgerWriter(store: ledger), options: utcOptions())
        var notices: [String] = []
        follower.pass { notices += $0.notices }
        // The executor writes on: the new line is counted once too.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        h.seekToEndOfFile()
        h.write(Data("2025-06-19 18:00:00,000 - src.x - INFO - nothing to see\n".utf8))
        try h.close()
        var sources: Set<String> = []
        follower.pass { sources.insert($0.source) }
        let lines = try ledger.rollups().filter { $0.key.name == Metrics.lines.name }
        #expect(lines.values.reduce(0, +) == 919)
        #expect(Set(lines.keys.compactMap(\.labels.first)) == [log])
        #expect(sources == [log])
        #expect(follower.sourceNames == [log])
        #expect(notices.filter { $0.contains("the same file as \(log)") }.count == spellings.count)
    }

    /// Ledgers written before positions were found by identity saved them under the path as given,
    /// relative to wherever the command ran: they resume, under that name, whatever the spelling now.
    @Test(arguments: StoreKind.allCases)
    func aPositionSavedUnderAnOldSpellingStillResumes(store: StoreKind) throws {
        let (dir, log, spellings) = try sample()
        let ledger = try store.make(dir.file("l.db"))
        let old = FileIngest(
            path: log, sourceName: "logs/x.log", writer: LedgerWriter(store: ledger), options: utcOptions())
        try old.open()
        try old.readAvailable()
        let before = try snapshot(ledger)
        for path in [log] + spellings { try readOnce(path, ledger) }
        let after = try snapshot(ledger)
        #expect(after.runs == before.runs)
        #expect(after.rollups == before.rollups)
        #expect(try store.sources(ledger) == ["logs/x.log"])
    }

    /// A deleted file's inode may be reused by a new file: when the saved fingerprint is empty (the
    /// file was empty when first seen), the inode alone does not make the new file the old one.
    @Test func aReusedInodeOfADeletedFileIsNotTakenForIt() throws {
        let dir = TempDir()
        let ledger = try Ledger(path: dir.file("l.db"))
        let gone = dir.file("run_a.log")
        _ = FileManager.default.createFile(atPath: gone, contents: nil)
        try readOnce(gone, ledger)
        try FileManager.default.removeItem(atPath: gone)
        // Pretend the new file got the old inode: move the saved identity onto it.
        let fresh = dir.file("run_b.log")
        try FileManager.default.copyItem(atPath: Fixture.sampleLog, toPath: fresh)
        var now = stat()
        stat(fresh, &now)
        try ledger.db.prepare("UPDATE positions SET identity = ?, offset = 100").run([
            .text("\(now.st_dev):\(now.st_ino):0:cbf29ce484222325")
        ])
        try readOnce(fresh, ledger)
        let lines = try ledger.rollups().filter { $0.key.name == Metrics.lines.name }
        #expect(lines.filter { $0.key.labels.first == fresh }.values.reduce(0, +) == 918)
    }

    @Test func canonicalNamesResolveTheDirectoryAndKeepTheFileName() throws {
        let (dir, log, _) = try sample()
        #expect(FileIngest.canonicalName(dir.path + "/sub/../x.log") == log)
        #expect(FileIngest.canonicalName(dir.file("linked-dir") + "/x.log") == log)
        #expect(FileIngest.canonicalName(dir.file("link.log")) == dir.file("link.log"))
        #expect(FileIngest.canonicalName(dir.file("not-yet.log")) == dir.file("not-yet.log"))
        #expect(FileIngest.canonicalName("-") == "-")
    }
}
