import Testing

@testable import RunLedgerCore

/// What a commit writes of the open bursts (issue 13, finding 5): only facts that came since the last
/// commit, and the rows of segments that closed go.
@Suite struct OpenBurstJournalTests {
    func fact(_ n: Int64) -> PendingFact { PendingFact(effects: [.turns(n, .progress)], timeMs: n) }

    @Test func growthIsAppendedAndClosedSegmentsDropped() {
        var state = CorrelatorState()
        state.openSegment()
        state.segments[0].facts = [fact(1), fact(2)]
        var journal = OpenBurstJournal()
        #expect(journal.changes(to: state).append.map(\.seq) == [0, 1])
        state.segments[0].facts.append(fact(3))
        state.openSegment()
        state.segments[1].facts = [fact(4)]
        let grown = journal.changes(to: state)
        #expect(grown.drop.isEmpty)
        #expect(grown.append.map { [$0.segment, Int64($0.seq)] } == [[0, 2], [1, 0]])
        #expect(journal.changes(to: state).isEmpty, "nothing new, nothing written")
        state.segments.removeAll()
        state.openSegment()
        let closed = journal.changes(to: state)
        #expect(closed.drop == [0, 1])
        #expect(closed.append.isEmpty)
        #expect(journal.held.isEmpty)
    }

    @Test func aSegmentThatShrankIsWrittenAgainWhole() {
        var state = CorrelatorState()
        state.openSegment()
        state.segments[0].facts = [fact(1), fact(2), fact(3)]
        var journal = OpenBurstJournal()
        _ = journal.changes(to: state)
        state.segments[0].facts = [fact(9)]
        let changes = journal.changes(to: state)
        #expect(changes.drop == [0])
        #expect(changes.append.map(\.fact) == [fact(9)])
    }
}
