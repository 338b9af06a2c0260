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
        w.key(literal: "attribution"); w.string(attribution.rawValue)
        if let autoCommit {
            w.key(literal: "autoCommit")
            w.beginObject()
            w.key(literal: "attribution"); w.string(autoCommit.attribution.rawValue)
            if let d = autoCommit.detail { w.key(literal: "detail"); w.string(d) }
            w.key(literal: "outcome"); w.string(autoCommit.outcome.rawValue)
            w.endObject()
        }
        if let costNano { w.key(literal: "costNano"); w.ranked(costNano) { $0.int($1) } }
        if let dbId { w.key(literal: "dbId"); w.string(dbId) }
        if let endedAtMs { w.key(literal: "endedAtMs"); w.int(endedAtMs) }
        if let lastLineAtMs { w.key(literal: "lastLineAtMs"); w.int(lastLineAtMs) }
        if let logLines {
            w.key(literal: "logLines")
            w.beginArray()
            for span in logLines {
                w.beginObject()
                w.key(literal: "first"); w.int(span.first)
                w.key(literal: "last"); w.int(span.last)
                w.key(literal: "source"); w.string(span.source)
                w.endObject()
            }
            w.endArray()
        }
        w.key(literal: "mismatch")
        w.beginObject()
        for (source, fields) in mismatch.sorted(by: { $0.key < $1.key }) {
            w.key(source)
            w.strings(fields)
        }
        w.endObject()
        w.key(literal: "recentToolIds"); w.strings(recentToolIds)
        w.key(literal: "reported")
        w.beginObject()
        for (source, r) in reported.sorted(by: { $0.key < $1.key }) {
            w.key(source)
            w.beginObject()
            w.key(literal: "costNano"); w.int(r.costNano)
            w.key(literal: "tools"); w.int(r.tools)
            w.key(literal: "totalTokens"); w.int(r.totalTokens)
            w.key(literal: "turns"); w.int(r.turns)
            w.endObject()
        }
        w.endObject()
        w.key(literal: "runId"); w.string(runId)
        if let sessionId { w.key(literal: "sessionId"); w.string(sessionId) }
        if let stalledAtMs { w.key(literal: "stalledAtMs"); w.int(stalledAtMs) }
        if let startedAtMs { w.key(literal: "startedAtMs"); w.int(startedAtMs) }
        if let status { w.key(literal: "status"); w.ranked(status) { $0.string($1.rawValue) } }
        w.key(literal: "taskgroupError"); w.bool(taskgroupError)
        w.key(literal: "tokens")
        w.beginObject()
        let t = tokens
        for (name, value) in [
            ("cacheCreation", t.cacheCreation), ("cacheRead", t.cacheRead), ("cacheUnsplit", t.cacheUnsplit),
            ("input", t.input), ("output", t.output), ("total", t.total),
        ] {
            if let value { w.key(name); w.ranked(value) { $0.int($1) } }
        }
        w.endObject()
        if let toolCountStated { w.key(literal: "toolCountStated"); w.int(toolCountStated) }
        if let toolUsesSeen { w.key(literal: "toolUsesSeen"); w.bool(toolUsesSeen) }
        w.key(literal: "tools")
        w.beginArray()
        for tool in tools {
            w.beginObject()
            w.key(literal: "fromListOnly"); w.bool(tool.fromListOnly)
            w.key(literal: "name"); w.string(tool.name)
            w.key(literal: "uses"); w.int(tool.uses)
            w.endObject()
        }
        w.endArray()
        if let turns { w.key(literal: "turns"); w.ranked(turns) { $0.int($1) } }
        if let workflow { w.key(literal: "workflow"); w.ranked(workflow) { $0.string($1) } }
        if let workflowLabel { w.key(literal: "workflowLabel"); w.string(workflowLabel) }
        w.key(literal: "workflowSettledUnknown"); w.bool(workflowSettledUnknown)
        if let workspace {
            w.key(literal: "workspace")
            w.beginObject()
            w.key(literal: "attribution"); w.string(workspace.attribution.rawValue)
            if let b = workspace.branch { w.key(literal: "branch"); w.string(b) }
            if let p = workspace.path { w.key(literal: "path"); w.string(p) }
            w.endObject()
        }
        w.endObject()
        return w.text
    }
}

extension JSONWriter {
    fileprivate mutating func ranked<V>(_ r: Ranked<V>, _ value: (inout JSONWriter, V) -> Void) {
        beginObject()
        key(literal: "rank"); int(Int64(r.rank.rawValue))
        key(literal: "value"); value(&self, r.value)
        endObject()
    }
}

/// Reading the stored form back without `JSONDecoder`: a run polled long after it left the ledger's
/// cache is read back once per batch, and `JSONDecoder` made that a twentieth of `replay`. Anything
/// this reader does not expect gives nil, and the caller falls back to `JSONDecoder`.
extension RunRecord {
    public init?(ledgerJSON text: String) {
        var text = text
        guard let r = text.withUTF8({ RunRecord(ledgerJSON: $0) }) else { return nil }
        self = r
    }

    public init?(ledgerJSON b: UnsafeBufferPointer<UInt8>) {
        guard case .object(let members)? = JSONReader.parse(b, 0..<b.count) else { return nil }
        var r = RunRecord(runId: "")
        // The members `JSONDecoder` requires (the non-optional properties); the rest may be absent.
        var required = 0
        for (key, v) in members {
            if Self.requiredKeys.contains(key) { required += 1 }
            switch key {
            case "attribution":
                guard let s = v.stringValue, let a = Attribution(rawValue: s) else { return nil }
                r.attribution = a
            case "autoCommit":
                guard let a = v["attribution"]?.stringValue.flatMap(Attribution.init(rawValue:)),
                    let o = v["outcome"]?.stringValue.flatMap(AutoCommitOutcome.init(rawValue:))
                else { return nil }
                r.autoCommit = AutoCommit(outcome: o, detail: v["detail"]?.stringValue, attribution: a)
            case "costNano": guard let x = Self.rankedInt(v, b) else { return nil }; r.costNano = x
            case "dbId": guard let s = v.stringValue else { return nil }; r.dbId = s
            case "endedAtMs": guard let n = Self.int(v, b) else { return nil }; r.endedAtMs = n
            case "lastLineAtMs": guard let n = Self.int(v, b) else { return nil }; r.lastLineAtMs = n
            case "logLines":
                guard let list = v.arrayValue else { return nil }
                var spans: [LogSpan] = []
                for o in list {
                    guard let s = o["source"]?.stringValue, let f = Self.int(o["first"], b),
                        let l = Self.int(o["last"], b)
                    else { return nil }
                    spans.append(LogSpan(source: s, first: f, last: l))
                }
                r.logLines = spans
            case "mismatch":
                guard case .object(let sources) = v else { return nil }
                for (source, fields) in sources {
                    guard let list = fields.arrayValue else { return nil }
                    var names: [String] = []
                    for f in list {
                        guard let s = f.stringValue else { return nil }
                        names.append(s)
                    }
                    r.mismatch[source] = names
                }
            case "recentToolIds":
                guard let list = v.arrayValue else { return nil }
                for id in list {
                    guard let s = id.stringValue else { return nil }
                    r.recentToolIds.append(s)
                }
            case "reported":
                guard case .object(let sources) = v else { return nil }
                for (source, o) in sources {
                    guard let c = Self.int(o["costNano"], b), let k = Self.int(o["totalTokens"], b),
                        let t = Self.int(o["turns"], b), let u = Self.int(o["tools"], b)
                    else { return nil }
                    r.reported[source] = Report(costNano: c, totalTokens: k, turns: t, tools: u)
                }
            case "runId": guard let s = v.stringValue else { return nil }; r.runId = s
            case "sessionId": guard let s = v.stringValue else { return nil }; r.sessionId = s
            case "stalledAtMs": guard let n = Self.int(v, b) else { return nil }; r.stalledAtMs = n
            case "startedAtMs": guard let n = Self.int(v, b) else { return nil }; r.startedAtMs = n
            case "status":
                guard let rank = Self.rank(v, b), let s = v["value"]?.stringValue, let st = RunStatus(rawValue: s)
                else { return nil }
                r.status = Ranked(st, rank)
            case "taskgroupError": guard let x = v.boolValue else { return nil }; r.taskgroupError = x
            case "tokens":
                guard case .object(let fields) = v else { return nil }
                for (name, value) in fields {
                    guard let field = TokenField(rawValue: name), let x = Self.rankedInt(value, b) else { return nil }
                    r.tokens.set(field, x.value, x.rank)
                }
            case "toolCountStated": guard let n = Self.int(v, b) else { return nil }; r.toolCountStated = n
            case "toolUsesSeen": guard let x = v.boolValue else { return nil }; r.toolUsesSeen = x
            case "tools":
                guard let list = v.arrayValue else { return nil }
                for t in list {
                    guard let name = t["name"]?.stringValue, let uses = Self.int(t["uses"], b),
                        let fromList = t["fromListOnly"]?.boolValue
                    else { return nil }
                    r.tools.append(ToolTally(name: name, uses: uses, fromListOnly: fromList))
                }
            case "turns": guard let x = Self.rankedInt(v, b) else { return nil }; r.turns = x
            case "workflow":
                guard let rank = Self.rank(v, b), let s = v["value"]?.stringValue else { return nil }
                r.workflow = Ranked(s, rank)
            case "workflowLabel": guard let l = v.stringValue else { return nil }; r.workflowLabel = l
            case "workflowSettledUnknown":
                guard let x = v.boolValue else { return nil }
                r.workflowSettledUnknown = x
            case "workspace":
                guard let a = v["attribution"]?.stringValue.flatMap(Attribution.init(rawValue:)) else { return nil }
                r.workspace = Workspace(path: v["path"]?.stringValue, branch: v["branch"]?.stringValue, attribution: a)
            default: return nil
            }
        }
        guard required == Self.requiredKeys.count else { return nil }
        self = r
    }

    private static let requiredKeys: Set<String> = [
        "attribution", "mismatch", "recentToolIds", "reported", "runId", "taskgroupError", "tokens", "tools",
        "workflowSettledUnknown",
    ]

    private static func int(_ v: JSONValue?, _ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard case .number(let range)? = v else { return nil }
        return NumberParser.int(b, range)
    }

    private static func rank(_ v: JSONValue, _ b: UnsafeBufferPointer<UInt8>) -> Rank? {
        int(v["rank"], b).flatMap { Rank(rawValue: Int($0)) }
    }

    private static func rankedInt(_ v: JSONValue, _ b: UnsafeBufferPointer<UInt8>) -> Ranked<Int64>? {
        guard let rank = rank(v, b), let n = int(v["value"], b) else { return nil }
        return Ranked(n, rank)
    }
}
