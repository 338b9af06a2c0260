import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerStore

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the ledger's runs, for people or (--json) scripts.")

    @Option(name: .long, help: "The ledger (SQLite) to read.")
    var db: String

    @Flag(name: .long, help: "One JSON array of run records.")
    var json = false

    @Option(name: .long, help: "Only runs with this status (running, completed, failed, killed, unknown).")
    var status: String?

    @Flag(name: .long, help: "Only false failures and reporting mismatches.")
    var flagged = false

    func run() async throws {
        try await reportingFailures {
            var query = RunQuery(flaggedOnly: flagged)
            if let status {
                guard let s = RunStatus(rawValue: status) else {
                    throw Failure(
                        "--status \(status): not one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.status = s
            }
            let runs = try Ledger(path: db, readOnly: true).runs(query)
            if json {
                print(RunView.json(runs, pretty: true))
            } else {
                print(RunTable.render(runs))
            }
        }
    }
}

/// The human view of `runs`: one line per run, flags spelled out.
enum RunTable {
    static func render(_ runs: [RunRecord]) -> String {
        let header = ["RUN", "WORKFLOW", "STATUS", "COST USD", "TURNS", "TOKENS", "TOOLS", "FLAGS"]
        var rows = [header]
        for r in runs {
            var flags: [String] = []
            if r.falseFailure { flags.append("FALSE-FAILURE") }
            if r.taskgroupError, !r.falseFailure { flags.append("taskgroup") }
            for (source, fields) in r.mismatch.sorted(by: { $0.key < $1.key }) {
                flags.append("\(source)=0:\(fields.joined(separator: ","))")
            }
            if r.shownAttribution != .exact { flags.append(r.shownAttribution.rawValue) }
            rows.append([
                r.runId, r.workflowName, r.currentStatus.rawValue, JSONWriter.decimalText(r.cost, scale: 9),
                String(r.turnCount), String(r.totalTokens), String(r.toolCount), flags.joined(separator: " "),
            ])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        let lines = rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return lines.joined(separator: "\n") + "\n\(runs.count) runs"
    }
}
