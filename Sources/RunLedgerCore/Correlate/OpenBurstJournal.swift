/// What a ledger holds of a source's open bursts, and what a commit must add to it or drop from it.
///
/// A burst's facts only ever grow until the burst is closed or flushed, which drops the segment whole.
/// So the ledger keeps each segment's facts as rows appended in order, apart from the rest of the
/// correlator's state, and a commit writes the facts that came since the last one: what it added,
/// not what the burst holds (issue 13: a burst that never ended rewrote 2.2 MB at every commit).
public struct OpenBurstJournal: Sendable, Equatable {
    /// Facts the ledger holds, by segment id.
    public private(set) var held: [Int64: Int]

    public init(held: [Int64: Int] = [:]) {
        self.held = held
    }

    public struct Changes: Sendable, Equatable {
        /// Segments whose rows go, before anything is appended.
        public var drop: [Int64] = []
        /// Facts to append: the segment, the fact's place in it, the fact.
        public var append: [Appended] = []

        public var isEmpty: Bool { drop.isEmpty && append.isEmpty }
    }

    public struct Appended: Sendable, Equatable {
        public var segment: Int64
        public var seq: Int
        public var fact: PendingFact
    }

    /// The changes that bring the ledger from `held` to `state`'s open bursts; `held` becomes `state`'s.
    /// A segment holding fewer facts than the ledger does (which the correlator never does) is written
    /// again whole, so that the ledger never keeps a fact the state has dropped.
    public mutating func changes(to state: CorrelatorState) -> Changes {
        var out = Changes()
        var next: [Int64: Int] = [:]
        next.reserveCapacity(state.segments.count)
        for segment in state.segments {
            var from = held[segment.id] ?? 0
            if from > segment.facts.count {
                out.drop.append(segment.id)
                from = 0
            }
            for seq in from..<segment.facts.count {
                out.append.append(Appended(segment: segment.id, seq: seq, fact: segment.facts[seq]))
            }
            if !segment.facts.isEmpty { next[segment.id] = segment.facts.count }
        }
        for id in held.keys.sorted() where next[id] == nil && !out.drop.contains(id) { out.drop.append(id) }
        held = next
        return out
    }
}

extension CorrelatorState {
    /// Puts back the open bursts' facts the ledger kept apart (rows in order, by segment id). A segment
    /// with none kept keeps the facts its saved form held (states saved before facts were kept apart).
    public mutating func restoreOpenBurstFacts(_ facts: [Int64: [PendingFact]]) {
        for i in segments.indices {
            if let kept = facts[segments[i].id] { segments[i].facts = kept }
        }
    }
}
