import Foundation
import RunLedgerCore

/// The facts of bursts still open at a commit, kept in `open_burst_facts` apart from the rest of the
/// correlator's state: a commit appends what a burst added and drops what closed (`OpenBurstJournal`
/// decides which), so a burst that never ends costs each commit its new lines, not all it holds.
extension Ledger {
    /// Writes `position`'s open-burst changes in the caller's transaction; returns what the ledger will
    /// hold once it commits (the caller keeps it only then).
    func saveOpenBursts(of position: SourcePosition) throws -> OpenBurstJournal {
        // Another connection's commit may have written this source (this process never does; a
        // ledger opened by hand might): trust nothing remembered from before it.
        if currentDataVersion() != seenDataVersion { openBurstJournals.removeAll() }
        var journal = try openBurstJournals[position.source] ?? heldOpenBursts(of: position.source)
        let changes = journal.changes(to: position.correlator)
        guard !changes.isEmpty else { return journal }
        // Prepared here rather than kept: only commits that leave a burst open get this far.
        let source = SQLValue.text(position.source)
        if !changes.drop.isEmpty {
            let drop = try db.prepare("DELETE FROM open_burst_facts WHERE source = ? AND segment = ?")
            for segment in changes.drop { try drop.run([source, .int(segment)]) }
        }
        if !changes.append.isEmpty {
            let append = try db.prepare("INSERT INTO open_burst_facts(source, segment, seq, fact) VALUES (?, ?, ?, ?)")
            for a in changes.append {
                let fact = String(decoding: try encoder.encode(a.fact), as: UTF8.self)
                try append.run([source, .int(a.segment), .int(Int64(a.seq)), .text(fact)])
            }
        }
        return journal
    }

    /// Puts the open bursts' facts saved for `source` back into its correlator state.
    func restoreOpenBursts(of source: String, into state: inout CorrelatorState) throws {
        // A ledger of schema 4 opened read-only (`runledger metrics` on it) has no such table: its open
        // bursts are inside the saved state.
        var tableExists = false
        try db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'open_burst_facts'").query { _ in tableExists = true }
        guard tableExists else { return }
        var facts: [Int64: [PendingFact]] = [:]
        var unreadable = 0
        try db.prepare("SELECT segment, fact FROM open_burst_facts WHERE source = ? ORDER BY segment, seq").query([
            .text(source)
        ]) { row in
            guard let fact = try? decoder.decode(PendingFact.self, from: Data(row.text(1).utf8)) else {
                unreadable += 1
                return
            }
            facts[row.int(0), default: []].append(fact)
        }
        if unreadable > 0 {
            throw LedgerError("\(path): \(unreadable) open-burst facts of source \(source) cannot be read")
        }
        state.restoreOpenBurstFacts(facts)
    }

    private func heldOpenBursts(of source: String) throws -> OpenBurstJournal {
        var held: [Int64: Int] = [:]
        try db.prepare("SELECT segment, count(*) FROM open_burst_facts WHERE source = ? GROUP BY segment").query([
            .text(source)
        ]) { held[$0.int(0)] = Int($0.int(1)) }
        return OpenBurstJournal(held: held)
    }
}
