import ArgumentParser
import RunLedgerCore
import RunLedgerServer
import RunLedgerStore

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Print the Prometheus exposition the ledger implies, once.")

    @Option(name: .long, help: "The ledger (SQLite) to read.")
    var db: String

    @Option(name: .long, help: "Configuration file (JSON), for the workflows exported at 0.")
    var config: String?

    func run() async throws {
        try await reportingFailures {
            let settings = try config.map(Settings.load) ?? Settings()
            let ledger = try LedgerBackends.open(db).openReader()
            let sources = try ledger.positions().map(\.source)
            let metrics = LiveMetrics(
                rollups: try ledger.rollups(), workflows: settings.resolvedProfile.knownWorkflows + settings.workflows,
                sources: sources, build: .current)
            print(metrics.render(), terminator: "")
        }
    }
}
