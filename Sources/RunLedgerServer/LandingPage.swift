import RunLedgerCore
import RunLedgerStore

/// The page at `/`: flagged runs by kind over the last 24 hours and all time (each a link into the
/// filtered list), what RunLedger reads, and the latest flagged runs.
enum LandingPage {
    /// What the page needs from the ledger, read on a reader thread.
    struct Facts: Sendable {
        var flagged: [RunRecord]
        var day: RunCounts
        /// The last 24 hours' filter, which the counts' links narrow.
        var dayFilter: RunFilter
        var all: RunCounts
        /// The end of the 24 hours: the latest time in the ledger (the log's clock, as stalls use it),
        /// so a replayed log reads as it did live; nil for an empty ledger.
        var nowMs: Int64?
        /// Whether the runs name their instance (a fleet's ledger).
        var fleet: Bool

        static func read(_ ledger: any LedgerQueries) throws -> Facts {
            let now = try ledger.latestRunTimeMs()
            var day = RunFilter()
            day.sinceMs = now.map { $0 - 86_400_000 }
            var flagged = RunFilter()
            flagged.flagged = true
            return Facts(
                flagged: try ledger.runs(flagged, page: RunPage(limit: 20)).runs,
                day: now == nil ? RunCounts() : try ledger.counts(day), dayFilter: day,
                all: try ledger.counts(RunFilter()), nowMs: now, fleet: ledger.namesInstances)
        }
    }

    static func html(state: ServerState, facts: Facts) -> String {
        let dayLabel =
            facts.nowMs.map {
                "Last 24 hours (to \(Pages.time($0)?["text"] as? String ?? ""), the latest time in the ledger)"
            }
            ?? "Last 24 hours"
        let sources: [Pages.Values] = state.sources.all.map { s in
            Pages.values(["name": s.name, "state": s.up ? "up" : "down", "lines": String(s.lines), "detail": s.detail])
        }
        return Pages.render(
            "landing",
            [
                "title": "RunLedger", "version": state.version,
                "windows": [
                    ["label": dayLabel, "kinds": Pages.kinds(facts.day, within: facts.dayFilter)],
                    ["label": "All time", "kinds": Pages.kinds(facts.all, within: RunFilter())],
                ],
                "sources": sources, "rows": Pages.rows(facts.flagged), "fleet": facts.fleet,
            ])
    }
}
