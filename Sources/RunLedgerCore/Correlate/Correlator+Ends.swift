/// How runs end, and how an end line that does not name its run is tied to one (docs/executor-releases.md).
extension Correlator {
    /// An end line of a late kind, after the run's own end line, closes no burst: the lines since are
    /// other runs'.
    func endOrFollow(_ id: String, _ x: Extraction, _ rule: Rule, late: Bool, into out: inout [Attributed]) {
        if let status = state.endStatus, let at = state.endStatusLine, state.line - at <= limits.preEndLines {
            out.append(.run(id: id, effects: status.effects, timeMs: status.timeMs, attribution: .exact))
        }
        state.endStatus = nil
        state.endStatusLine = nil
        if late, state.recentlyEnded.contains(id) {
            out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            if rule.nameFollows { awaitName(id, follows: true) }
        } else {
            end(id, PendingFact(effects: x.effects, timeMs: x.timeMs), nameFollows: rule.nameFollows, into: &out)
        }
    }

    /// A run's end anchor: the burst before it is the run's, and the line after it may name its workflow.
    func end(_ id: String, _ x: PendingFact, nameFollows: Bool, into out: inout [Attributed]) {
        state.streamsInFlight.removeAll { $0 == id }
        state.recentlyEnded.removeAll { $0 == id }
        state.recentlyEnded.append(id)
        if state.recentlyEnded.count > 64 { state.recentlyEnded.removeFirst() }
        state.orphans.removeAll { $0.runId == id }
        // A run that ended before a worktree line came has none to come.
        if !state.awaitingWorkspace.isEmpty { state.awaitingWorkspace.removeAll { $0.runId == id } }
        closeBurst(into: id, &out)
        out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
        awaitName(id, follows: nameFollows)
    }

    /// Every ended run waits a while for a line naming its workflow before it is counted as `unknown`;
    /// `follows` says a `Background workflow … completed` line of its own is to come.
    func awaitName(_ id: String, follows: Bool) {
        if let i = state.awaitingWorkflow.firstIndex(where: { $0.runId == id }) {
            if follows { state.awaitingWorkflow[i].nameFollows = true }
        } else {
            state.awaitingWorkflow.append(.init(runId: id, line: state.line, nameFollows: follows ? true : nil))
        }
    }

    /// `… (workflow_run_id: None)`: the end of one of the runs whose insert failed. With one such run in
    /// flight, or a burst that a line of the run's own thread named (`Persisted metrics … for run R`), it
    /// is that run's end anchor. Otherwise neither the line nor its burst says whose it is: the burst is
    /// kept as unattributed and the end waits for a line that tells (the `AUTO-COMMIT: … for run R` lines
    /// the same thread writes right after), or for the moment when every such run has ended alike.
    func endOrphan(_ x: Extraction, into out: inout [Attributed]) {
        let named = state.segments.count == 1 ? state.segments[0].namedRun : nil
        if state.orphans.count == 1 || named.map({ n in state.orphans.contains { $0.runId == n } }) == true {
            end(
                named ?? state.orphans[0].runId, PendingFact(effects: x.effects, timeMs: x.timeMs), nameFollows: true,
                into: &out)
            return
        }
        flushBurst(reason: state.orphans.isEmpty ? "unlinked" : "ambiguous", into: &out)
        guard !state.orphans.isEmpty else { return }
        state.orphanEnds.append(.init(effects: x.effects, timeMs: x.timeMs))
        settleOrphanEnds(into: &out)
    }

    func nameBurst(_ id: String) {
        if state.segments.isEmpty { state.openSegment() }
        state.segments[state.segments.count - 1].namedRun = id
    }

    /// A line naming an orphan run right after an orphan end says whose end it was: the latest one held
    /// (the same thread writes it next, after its `Background workflow` line).
    func claimOrphanEnd(by id: String, into out: inout [Attributed]) {
        guard !state.orphanEnds.isEmpty, state.orphans.contains(where: { $0.runId == id }) else { return }
        let held = state.orphanEnds.removeLast()
        end(id, held, nameFollows: false, into: &out)
        out.append(.markAmbiguous(id: id))
        settleOrphanEnds(into: &out)
    }

    func settleOrphanEnds(into out: inout [Attributed]) {
        if state.orphans.count == 1, let held = state.orphanEnds.first {
            state.orphanEnds.removeFirst()
            let id = state.orphans[0].runId
            end(id, held, nameFollows: false, into: &out)
            out.append(.markAmbiguous(id: id))
            return
        }
        // Every such run has ended: if they ended alike, each ended so (whose workflow name was whose is
        // not known, so none is given).
        func status(_ f: PendingFact) -> [Effect] { f.effects.filter { if case .ended = $0 { true } else { false } } }
        guard !state.orphans.isEmpty, state.orphanEnds.count == state.orphans.count,
            let first = state.orphanEnds.first.map(status), state.orphanEnds.allSatisfy({ status($0) == first })
        else { return }
        for orphan in state.orphans {
            end(orphan.runId, PendingFact(effects: first, timeMs: nil), nameFollows: false, into: &out)
            out.append(.markAmbiguous(id: orphan.runId))
        }
        state.orphanEnds.removeAll()
    }
}
