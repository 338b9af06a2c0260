/// The saved form of `CorrelatorState`, written by hand: the same members as its `Codable` form
/// (sorted keys), read back by `JSONDecoder`. Every commit saves the state with up to 2048 id links,
/// and `JSONEncoder` made that a twentieth of `replay`. Open bursts (`segments`) hold effects, whose
/// `Codable` form is left to the caller's encoder (as are held orphan ends); they are few and small.
extension CorrelatorState {
    public func ledgerJSON(effects encode: (any Encodable) throws -> String) rethrows -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key(literal: "ambiguousOwed"); w.int(Int64(ambiguousOwed))
        w.key(literal: "ambiguousSessions"); w.strings(ambiguousSessions)
        w.key(literal: "awaitingWorkflow"); w.awaiting(awaitingWorkflow)
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
        w.key(literal: "orphanEnds"); w.raw(orphanEnds.isEmpty ? "[]" : try encode(orphanEnds))
        w.key(literal: "orphans"); w.awaiting(orphans)
        w.key(literal: "recentlyEnded"); w.strings(recentlyEnded)
        w.key(literal: "segments"); w.raw(segments.isEmpty ? "[]" : try encode(segments))
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
