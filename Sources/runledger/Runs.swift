import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerStore

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the ledger's runs, for people or (--json) scripts.",
        discussion: """
            The filters are /api/runs's. The table shows the newest 50 runs of the selection, newest first
            (--limit for more); --json prints the whole selection in ledger order (oldest first), or with
            --limit the newest N, newest first.
            """)

    @Option(name: .long, help: "The ledger to read (an SQLite path, or postgresql://…).")
    var db: String

    @Flag(name: .long, help: "One JSON array of run records.")
    var json = false

    @Flag(name: .customLong("false-failure"), help: "Only false failures (failed after doing real work).")
    var falseFailure = false

    @Flag(name: .long, help: "Only false failures and reporting mismatches.")
    var flagged = false

    @Flag(name: .long, help: "Only running runs that have gone quiet.")
    var stalled = false

    @Option(name: .long, help: "Only runs whose reports disagree with the logs: any, cost, tokens, turns or tools.")
    var mismatch: String?

    @Option(name: .long, help: "Only runs of this workflow.")
    var workflow: String?

    @Option(name: .long, help: "Only runs with this status (running, completed, failed, killed, unknown).")
    var status: String?

    @Option(name: .long, help: "Only runs started at or after this time (RFC 3339, or a date: midnight UTC).")
    var since: String?

    @Option(name: .long, help: "Only runs started before this time (RFC 3339, or a date: midnight UTC).")
    var until: String?

    @Option(name: [.customLong("q"), .customLong("run-id")], help: "Only runs whose id starts with this.")
    var runIdPrefix: String?

    @Option(name: .long, help: "Only runs this instance wrote (a PostgreSQL ledger a fleet shares).")
    var instance: String?

    @Option(name: .long, help: "At most this many runs, newest first (default for the table: 50).")
    var limit: Int?

    static let defaultTableLimit = 50

    /// The options as /api/runs's query parameters, so the CLI and the API read filters in one place.
    private var pairs: [(name: String, value: String)] {
        var out: [(String, String)] = []
        if falseFailure { out.append(("false_failure", "1")) }
        if flagged { out.append(("flagged", "1")) }
        if stalled { out.append(("stalled", "1")) }
        let options = [
            ("mismatch", mismatch), ("workflow", workflow), ("status", status), ("since", since),
            ("until", until), ("q", runIdPrefix), ("instance", instance),
            ("limit", limit.map(String.init)),
        ]
        for case let (name, value?) in options { out.append((name, value)) }
        return out
    }

    func run() async throws {
        try await reportingFailures {
            let filter: RunFilter
            let page: RunPage
            do {
                (filter, page) = try RunFilter.parse(pairs, defaultLimit: Self.defaultTableLimit, maxLimit: Int.max - 1)
            } catch {
                // The filter's errors name query parameters; say the option the user typed.
                let text = "\(error)"
                // Each option is its parameter's name with dashes (`false_failure` is `--false-failure`).
                guard let (name, value) = pairs.first(where: { text.hasPrefix($0.name + " ") }) else {
                    throw Failure(text)
                }
                let option = "--" + name.replacingOccurrences(of: "_", with: "-")
                throw Failure("\(option) \(value): \(text.dropFirst(name.count + 1))")
            }
            let ledger = try LedgerBackends.open(db).openReader()
            if json && limit == nil {
                print(RunView.json(try ledger.allRuns(filter), pretty: true))
                return
            }
            let shown = try ledger.runs(filter, page: page).runs
            if json {
                print(RunView.json(shown, pretty: true))
            } else {
                let total = try ledger.count(filter)
                print(RunTable.render(shown, total: total, zone: .current))
            }
        }
    }
}

/// The human view of `runs`: one line per run, its start in the reader's local time, flags spelled out.
enum RunTable {
    static func render(_ runs: [RunRecord], total: Int, zone: TimeZone) -> String {
        let header = ["RUN", "STARTED", "WORKFLOW", "STATUS", "COST USD", "TURNS", "TOKENS", "TOOLS", "FLAGS"]
        var rows = [header]
        let format = Date.VerbatimFormatStyle(
            format:
                "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) \(timeZone: .iso8601(.long))",
            timeZone: zone, calendar: Calendar(identifier: .gregorian))
        for r in runs {
            var flags: [String] = []
            if r.falseFailure { flags.append("FALSE-FAILURE") }
            if r.taskgroupError, !r.falseFailure { flags.append("taskgroup") }
            for (source, fields) in r.mismatch.sorted(by: { $0.key < $1.key }) {
                flags.append("\(source)=0:\(fields.joined(separator: ","))")
            }
            if r.shownAttribution != .exact { flags.append(r.shownAttribution.rawValue) }
            let started = (r.startedAtMs ?? r.endedAtMs).map {
                Date(timeIntervalSince1970: Double($0) / 1000).formatted(format)
            }
            rows.append([
                r.runId, started ?? "-", r.workflowName, r.currentStatus.rawValue,
                JSONWriter.decimalText(r.cost, scale: 9), String(r.turnCount), String(r.totalTokens),
                String(r.toolCount), flags.joined(separator: " "),
            ])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        let lines = rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let footer =
            runs.count == total
            ? "\(total) runs" : "\(runs.count) of \(total) runs, newest first (--limit N shows more)"
        return lines.joined(separator: "\n") + "\n" + footer
    }
}
