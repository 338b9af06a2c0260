import Foundation
import RunLedgerCore

/// An instance's sources in PostgreSQL: where each was read up to, with the correlator's state and the
/// facts of its open bursts (kept apart and appended as a burst grows, as in SQLite: `Ledger+OpenBursts`).
extension PostgresLedger {
    public func position(of source: String) throws -> SourcePosition? {
        try waitingForServer { try readPosition(of: source) }
    }

    private func readPosition(of source: String) throws -> SourcePosition? {
        guard
            let row = try db.query(
                "SELECT identity, byte_offset, lines, correlator FROM positions WHERE instance = $1 AND source = $2",
                [instance, source]
            ).first
        else { return nil }
        var state = try decoder.decode(CorrelatorState.self, from: Data((row[3] ?? "").utf8))
        try restoreOpenBursts(of: source, into: &state)
        return SourcePosition(
            source: source, identity: row[0] ?? "", offset: Int64(row[1] ?? "") ?? 0, lines: Int64(row[2] ?? "") ?? 0,
            correlator: state)
    }

    public func hasPosition(_ source: String) throws -> Bool {
        try waitingForServer {
            try db.scalar("SELECT 1 FROM positions WHERE instance = $1 AND source = $2", [instance, source]) != nil
        }
    }

    /// The sources whose saved file identity is on device `device`, inode `inode` (`DEV:INO:` up to
    /// `DEV:INO;`, byte-wise, as in `Ledger.positionNames`).
    public func positionNames(device: UInt64, inode: UInt64) throws -> [String] {
        let prefix = "\(device):\(inode)"
        return try waitingForServer {
            try db.query(
                "SELECT source FROM positions WHERE instance = $1 AND identity >= $2 AND identity < $3 ORDER BY source",
                [instance, prefix + ":", prefix + ";"]
            ).compactMap { $0[0] }
        }
    }

    public func positions() throws -> [SourcePosition] {
        try db.query("SELECT source FROM positions WHERE instance = $1 ORDER BY source", [instance])
            .compactMap { $0[0] }.compactMap { try readPosition(of: $0) }
    }

    /// Writes `position`'s open-burst changes in the caller's transaction; returns what the ledger will
    /// hold once it commits (the caller keeps it only then).
    func saveOpenBursts(of position: SourcePosition) throws -> OpenBurstJournal {
        var journal = try openBurstJournals[position.source] ?? heldOpenBursts(of: position.source)
        let changes = journal.changes(to: position.correlator)
        for segment in changes.drop {
            try db.command(
                "DELETE FROM open_burst_facts WHERE instance = $1 AND source = $2 AND segment = $3",
                [instance, position.source, String(segment)])
        }
        for a in changes.append {
            let fact = String(decoding: try encoder.encode(a.fact), as: UTF8.self)
            try db.command(
                "INSERT INTO open_burst_facts(instance, source, segment, seq, fact) VALUES ($1, $2, $3, $4, $5)",
                [instance, position.source, String(a.segment), String(a.seq), fact])
        }
        return journal
    }

    private func restoreOpenBursts(of source: String, into state: inout CorrelatorState) throws {
        var facts: [Int64: [PendingFact]] = [:]
        var unreadable = 0
        for row in try db.query(
            "SELECT segment, fact FROM open_burst_facts WHERE instance = $1 AND source = $2 ORDER BY segment, seq",
            [instance, source])
        {
            guard let segment = row[0].flatMap({ Int64($0) }),
                let fact = try? decoder.decode(PendingFact.self, from: Data((row[1] ?? "").utf8))
            else {
                unreadable += 1
                continue
            }
            facts[segment, default: []].append(fact)
        }
        if unreadable > 0 {
            throw db.failure("\(unreadable) open-burst facts of source \(source) cannot be read")
        }
        state.restoreOpenBurstFacts(facts)
    }

    private func heldOpenBursts(of source: String) throws -> OpenBurstJournal {
        var held: [Int64: Int] = [:]
        for row in try db.query(
            "SELECT segment, count(*) FROM open_burst_facts WHERE instance = $1 AND source = $2 GROUP BY segment",
            [instance, source])
        {
            if let segment = row[0].flatMap({ Int64($0) }) { held[segment] = row[1].flatMap { Int($0) } ?? 0 }
        }
        return OpenBurstJournal(held: held)
    }
}
