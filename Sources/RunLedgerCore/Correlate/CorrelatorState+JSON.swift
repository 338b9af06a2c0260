/// The saved form of `CorrelatorState`, written by hand: the same members as its `Codable` form
/// (sorted keys), read back by `JSONDecoder`. Every commit saves the state with up to 2048 id links,
/// and `JSONEncoder` made that a twentieth of `replay`. Open bursts' facts are left out: the ledger
/// keeps them apart (`OpenBurstJournal`), since a burst that never ends holds up to 20,000 of them and
/// saving them all at every commit cost 2.2 MB a commit (issue 13). Held orphan ends and the status
/// line waiting for its end are few and small; their effects' `Codable` form is the caller's encoder's.
extension CorrelatorState {
    public func ledgerJSON(effects encode: (any Encodable) throws -> String) rethrows -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key(literal: "ambiguousOwed"); w.int(Int64(ambiguousOwed))
        w.key(literal: "ambiguousSessions"); w.strings(ambiguousSessions)
        w.key(literal: "awaitingWorkflow"); w.awaiting(awaitingWorkflow)
        w.key(literal: "awaitingWorkspace"); w.awaiting(awaitingWorkspace)
        w.key(literal: "commitPending")
        w.beginArray()
        for p in commitPending {
            w.beginObject()
            w.key(literal: "line"); w.int(p.line)
            w.key(literal: "runId"); w.string(p.runId)
            if let s = p.succeeded { w.key(literal: "succeeded"); w.bool(s) }
            w.endObject()
        }
        w.endArray()
        if let c = continuation {
            w.key(literal: "continuation")
            w.beginObject()
            w.key(literal: "line"); w.int(c.line)
            if let id = c.runId { w.key(literal: "runId"); w.string(id) }
            w.endObject()
        }
        if let endStatus { w.key(literal: "endStatus"); w.raw(try encode(endStatus)) }
        if let endStatusLine { w.key(literal: "endStatusLine"); w.int(endStatusLine) }
        w.key(literal: "hinted"); w.strings(hinted)
        w.key(literal: "line"); w.int(line)
        w.key(literal: "links")
        w.beginArray()
        for l in links {
            w.beginObject()
            w.key(literal: "id"); w.string(l.id)
            w.key(literal: "kind"); w.string(l.kind.rawValue)
            w.key(literal: "runId"); w.string(l.runId)
            w.endObject()
        }
        w.endArray()
        w.key(literal: "nextSegmentId"); w.int(nextSegmentId)
        w.key(literal: "orphanEnds"); w.raw(orphanEnds.isEmpty ? "[]" : try encode(orphanEnds))
        w.key(literal: "orphans"); w.awaiting(orphans)
        w.key(literal: "recentlyEnded"); w.strings(recentlyEnded)
        w.key(literal: "segments"); w.segmentsWithoutFacts(segments)
        w.key(literal: "streamsInFlight"); w.strings(streamsInFlight)
        w.key(literal: "workflowHints")
        w.beginArray()
        for h in workflowHints {
            w.beginObject()
            w.key(literal: "line"); w.int(h.line)
            w.key(literal: "name"); w.string(h.name)
            w.endObject()
        }
        w.endArray()
        w.key(literal: "worktrees")
        w.beginArray()
        for t in worktrees {
            w.beginObject()
            w.key(literal: "branch"); w.string(t.branch)
            w.key(literal: "path"); w.string(t.path)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }
}

extension JSONWriter {
    fileprivate mutating func awaiting(_ list: [CorrelatorState.Awaiting]) {
        beginArray()
        for a in list {
            beginObject()
            key(literal: "line"); int(a.line)
            if let follows = a.nameFollows { key(literal: "nameFollows"); bool(follows) }
            key(literal: "runId"); string(a.runId)
            endObject()
        }
        endArray()
    }
}

extension JSONWriter {
    fileprivate mutating func segmentsWithoutFacts(_ list: [CorrelatorState.Segment]) {
        beginArray()
        for s in list {
            beginObject()
            key(literal: "id"); int(s.id)
            if let n = s.lastProgress { key(literal: "lastProgress"); int(n) }
            key(literal: "line"); int(s.line)
            key(literal: "mixedSession"); bool(s.mixedSession)
            if let run = s.namedRun { key(literal: "namedRun"); string(run) }
            key(literal: "onceRules"); strings(s.onceRules)
            key(literal: "progressMixed"); bool(s.progressMixed)
            if let session = s.session { key(literal: "session"); string(session) }
            key(literal: "sharedFlight"); bool(s.sharedFlight)
            endObject()
        }
        endArray()
    }
}
