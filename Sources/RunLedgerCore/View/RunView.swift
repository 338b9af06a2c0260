/// The run record as users and scripts see it (`runs --json`, `/api/runs`), with DESIGN.md's field names.
public enum RunView {
    public static func write(_ r: RunRecord, to w: inout JSONWriter) {
        w.beginObject()
        w.key("run_id"); w.string(r.runId)
        // Only from a fleet's ledger, where it tells the hosts apart; a one-host ledger's output is unchanged.
        if let instance = r.instance { w.key("instance"); w.string(instance) }
        w.key("workflow"); w.string(r.workflowName)
        w.key("status"); w.string(r.currentStatus.rawValue)
        w.key("started_at"); w.string(r.startedAtMs.map(Timestamps.iso8601))
        w.key("ended_at"); w.string(r.endedAtMs.map(Timestamps.iso8601))
        w.key("duration_seconds")
        if let d = r.durationMs { w.decimal(d, scale: 3) } else { w.null() }
        w.key("cost_usd"); w.decimal(r.cost, scale: 9)
        w.key("turns"); w.int(r.turnCount)
        w.key("turns_source"); w.string(r.turnsSource)
        w.key("input_tokens"); w.int(r.tokens.input?.value)
        w.key("output_tokens"); w.int(r.tokens.output?.value)
        w.key("cache_creation_tokens"); w.int(r.tokens.cacheCreation?.value)
        w.key("cache_read_tokens"); w.int(r.tokens.cacheRead?.value)
        let unsplit = r.tokens.byKind.first { $0.kind == "cache" }?.value ?? 0
        w.key("cache_tokens"); w.int(unsplit > 0 ? unsplit : nil)
        w.key("total_tokens"); w.int(r.totalTokens)
        w.key("tools")
        if r.toolNamesKnown {
            w.beginArray()
            for t in r.tools { w.string(t.name) }
            w.endArray()
        } else {
            w.null()
        }
        w.key("tool_count"); w.int(r.toolCount)
        w.key("tool_uses"); w.int(r.toolNamesKnown && r.toolUsesKnown ? r.toolUses : nil)
        w.key("taskgroup_error"); w.bool(r.taskgroupError)
        w.key("false_failure"); w.bool(r.falseFailure)
        w.key("last_line_at"); w.string(r.lastLineAtMs.map(Timestamps.iso8601))
        w.key("stalled_since"); w.string(r.isStalled ? r.stalledAtMs.map(Timestamps.iso8601) : nil)
        w.key("reported")
        w.beginObject()
        for (source, rep) in r.reported.sorted(by: { $0.key < $1.key }) {
            w.key(source)
            w.beginObject()
            // A negative value is a field the source left empty: not reported.
            w.key("cost_usd")
            if rep.costNano < 0 { w.null() } else { w.decimal(rep.costNano, scale: 9) }
            w.key("total_tokens"); w.int(rep.totalTokens < 0 ? nil : rep.totalTokens)
            w.key("turns"); w.int(rep.turns < 0 ? nil : rep.turns)
            w.key("tools"); w.int(rep.tools < 0 ? nil : rep.tools)
            w.endObject()
        }
        w.endObject()
        w.key("mismatch")
        w.stringLists(r.mismatch)
        w.key("attribution"); w.string(r.shownAttribution.rawValue)
        writeWorkspace(r, to: &w)
        w.endObject()
    }

    /// Where the work is (docs/workspace.md): the worktree, its branch, the auto-commit outcome, the
    /// sentence a false failure's alert carries, and where the run's own lines are in the log.
    static func writeWorkspace(_ r: RunRecord, to w: inout JSONWriter) {
        w.key("worktree"); w.string(r.workspace?.path)
        w.key("branch"); w.string(r.workspace?.branch)
        w.key("workspace_attribution"); w.string(r.workspace?.attribution.rawValue)
        w.key("auto_commit")
        if let a = r.autoCommit {
            w.beginObject()
            w.key("outcome"); w.string(a.outcome.rawValue)
            w.key("sha"); w.string(a.outcome == .committed ? a.detail : nil)
            w.key("error"); w.string(a.outcome == .failed ? a.detail : nil)
            w.key("attribution"); w.string(a.attribution.rawValue)
            w.endObject()
        } else {
            w.null()
        }
        w.key("uncommitted_work"); w.string(r.uncommittedWork)
        w.key("log_lines")
        w.beginArray()
        for span in r.logLines ?? [] {
            w.beginObject()
            w.key("source"); w.string(span.source)
            w.key("first_line"); w.int(span.first)
            w.key("last_line"); w.int(span.last)
            w.endObject()
        }
        w.endArray()
    }

    public static func json(_ runs: [RunRecord], pretty: Bool = false) -> String {
        var w = JSONWriter(pretty: pretty)
        w.beginArray()
        for r in runs { write(r, to: &w) }
        w.endArray()
        return w.text
    }

    public static func json(_ run: RunRecord, pretty: Bool = false) -> String {
        var w = JSONWriter(pretty: pretty)
        write(run, to: &w)
        return w.text
    }
}
