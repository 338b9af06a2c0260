/// The ledger's stored form of a run record, written by hand.
///
/// It is the JSON that `JSONEncoder` makes from `RunRecord`'s `Codable` conformance (same keys, absent
/// optionals left out, ranks as numbers), so records written before and after read back alike with
/// `JSONDecoder`. Writing it by hand is about ten times cheaper than `JSONEncoder`, which was the
/// largest single cost of `replay` (every touched run is written once per batch).
extension RunRecord {
    public var ledgerJSON: String {
        var w = JSONWriter()
        w.beginObject()
        w.key("attribution"); w.string(attribution.rawValue)
        if let costNano { w.key("costNano"); w.ranked(costNano) { $0.int($1) } }
        if let dbId { w.key("dbId"); w.string(dbId) }
        if let endedAtMs { w.key("endedAtMs"); w.int(endedAtMs) }
        if let lastLineAtMs { w.key("lastLineAtMs"); w.int(lastLineAtMs) }
        w.key("mismatch")
        w.beginObject()
        for (source, fields) in mismatch.sorted(by: { $0.key < $1.key }) {
            w.key(source)
            w.beginArray()
            for f in fields { w.string(f) }
            w.endArray()
        }
        w.endObject()
        w.key("recentToolIds")
        w.beginArray()
        for id in recentToolIds { w.string(id) }
        w.endArray()
        w.key("reported")
        w.beginObject()
        for (source, r) in reported.sorted(by: { $0.key < $1.key }) {
            w.key(source)
            w.beginObject()
            w.key("costNano"); w.int(r.costNano)
            w.key("tools"); w.int(r.tools)
            w.key("totalTokens"); w.int(r.totalTokens)
            w.key("turns"); w.int(r.turns)
            w.endObject()
        }
        w.endObject()
        w.key("runId"); w.string(runId)
        if let sessionId { w.key("sessionId"); w.string(sessionId) }
        if let stalledAtMs { w.key("stalledAtMs"); w.int(stalledAtMs) }
        if let startedAtMs { w.key("startedAtMs"); w.int(startedAtMs) }
        if let status { w.key("status"); w.ranked(status) { $0.string($1.rawValue) } }
        w.key("taskgroupError"); w.bool(taskgroupError)
        w.key("tokens")
        w.beginObject()
        let t = tokens
        for (name, value) in [
            ("cacheCreation", t.cacheCreation), ("cacheRead", t.cacheRead), ("cacheUnsplit", t.cacheUnsplit),
            ("input", t.input), ("output", t.output), ("total", t.total),
        ] {
            if let value { w.key(name); w.ranked(value) { $0.int($1) } }
        }
        w.endObject()
        if let toolCountStated { w.key("toolCountStated"); w.int(toolCountStated) }
        w.key("tools")
        w.beginArray()
        for tool in tools {
            w.beginObject()
            w.key("fromListOnly"); w.bool(tool.fromListOnly)
            w.key("name"); w.string(tool.name)
            w.key("uses"); w.int(tool.uses)
            w.endObject()
        }
        w.endArray()
        if let turns { w.key("turns"); w.ranked(turns) { $0.int($1) } }
        if let workflow { w.key("workflow"); w.ranked(workflow) { $0.string($1) } }
        w.key("workflowSettledUnknown"); w.bool(workflowSettledUnknown)
        w.endObject()
        return w.text
    }
}

extension JSONWriter {
    fileprivate mutating func ranked<V>(_ r: Ranked<V>, _ value: (inout JSONWriter, V) -> Void) {
        beginObject()
        key("rank"); int(Int64(r.rank.rawValue))
        key("value"); value(&self, r.value)
        endObject()
    }
}
